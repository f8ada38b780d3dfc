import type { Session } from '../session.js';

/**
 * Dedup key of a connection: the DIALER's node id, then the dialer's Hello nonce (hex).
 * Both ends know both values, so both compute the same key for the same socket.
 */
export function dedupKey(dialerNodeId: string, dialerNonce: Uint8Array): string {
  return `${dialerNodeId}:${Buffer.from(dialerNonce).toString('hex')}`;
}

/**
 * The dedup rule. Of two authenticated connections to the same peer, the one whose dialer
 * has the lower node id survives (ties, i.e. the same dialer twice, go to the lower dialer
 * nonce). It depends only on values both ends share, so both ends close the same socket.
 */
export function preferred<T extends { readonly dedupKey: string }>(a: T, b: T): T {
  return a.dedupKey <= b.dedupKey ? a : b;
}

/**
 * peerId → the one live session, plus sessions authenticated but parked while a racing
 * connection to the same peer finishes its handshake. Every session carries a generation
 * unique in this table's lifetime; removal is conditional on it, so the cleanup of an old
 * session can never remove a newer one.
 */
export class SessionTable {
  private readonly active = new Map<string, Session>();
  private readonly parked = new Map<string, Session>();
  private generation = 0;

  nextGeneration(): number {
    return ++this.generation;
  }

  get size(): number {
    return this.active.size;
  }

  get(peerId: string): Session | undefined {
    return this.active.get(peerId);
  }

  getParked(peerId: string): Session | undefined {
    return this.parked.get(peerId);
  }

  values(): IterableIterator<Session> {
    return this.active.values();
  }

  parkedValues(): IterableIterator<Session> {
    return this.parked.values();
  }

  setActive(session: Session): void {
    if (this.parked.get(session.peerId) === session) this.parked.delete(session.peerId);
    this.active.set(session.peerId, session);
    session.state = 'active';
  }

  park(session: Session): void {
    this.parked.set(session.peerId, session);
    session.state = 'parked';
  }

  /** Removes `session` only if it is still the one held for its peer. Returns whether it was active. */
  remove(session: Session): boolean {
    if (this.parked.get(session.peerId) === session) this.parked.delete(session.peerId);
    const current = this.active.get(session.peerId);
    if (current === undefined || current.generation !== session.generation) return false;
    this.active.delete(session.peerId);
    return true;
  }
}
