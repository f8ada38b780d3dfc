import type { OutgoingMessage } from '@tc/wire';
import { formatAddress } from '../address.js';
import type { Connection } from '../connection.js';
import type { Handshake, HandshakeResult } from '../handshake/handshake.js';
import type { Direction, Session } from '../session.js';

/**
 * One connection attempt before it is a session: an outbound dial (from before the TCP
 * connect) or an accepted inbound socket, until its handshake succeeds or fails.
 *
 * Dedup bookkeeping (see ConnectionManager): an inbound attempt that would lose the dedup
 * rule to one of our own outbound attempts to the same peer is *held* (our HelloAck is not
 * sent, so it can complete on neither side) until that outbound attempt ends; a session
 * that completes while one of our own outbound attempts to the same peer is still running
 * is *parked* until it ends. Only our own dials hold or park anything, and for at most
 * `dedupHoldMs` in all (their claim is unproven until they complete): nothing a remote sends
 * before proving its key can delay a proven session for longer.
 */
export class Attempt {
  conn: Connection | undefined;
  handshake: Handshake | undefined;
  timer: NodeJS.Timeout | undefined;
  /** Set once the handshake succeeded. */
  session: Session | undefined;
  /** Whether admission promoted its slot (so release says established). */
  promoted = false;
  done = false;
  /** Fails the handshake in progress (set once the socket is attached). */
  fail: ((error: Error) => void) | undefined;
  /** Resolves/rejects the `attach` promise (set once the socket is attached). */
  settled: { resolve: (s: Session) => void; reject: (e: Error) => void } | undefined;
  /** Parked sessions waiting for this (outbound) attempt to finish. */
  readonly waiters = new Set<Session>();
  /**
   * Attempts whose HelloAck is held until this one finishes: inbound ones held by this dial of
   * ours, or (for an inbound attempt) a dial of ours to the same peer held by it.
   */
  readonly heldInbound = new Set<Attempt>();
  /** For a held attempt: the attempts it waits for. */
  readonly holdFor = new Set<Attempt>();
  /** For a held attempt: our HelloAck, not yet sent. */
  heldAck: OutgoingMessage | undefined;
  /** For a held attempt: the handshake already verified the peer's proof. */
  heldResult: HandshakeResult | undefined;
  /** When this (inbound) attempt first waited for our own dials (its session inherits it). */
  waitStartedAt: number | undefined;
  /** Ends the hold after `dedupHoldMs` even if our dials are still running. */
  holdTimer: NodeJS.Timeout | undefined;
  /** Called once when the attempt ends (dials waiting for an inbound handshake). */
  readonly endWaiters = new Set<() => void>();

  constructor(
    readonly direction: Direction,
    readonly ip: string,
    readonly dialAddress: string | undefined,
  ) {}

  /** Marks the attempt done and tells whoever waits for its end. */
  end(): void {
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    const waiters = [...this.endWaiters];
    this.endWaiters.clear();
    for (const w of waiters) w();
  }

  /** Node id claimed in the peer's Hello (not yet proven), once it arrived. */
  get claimedNodeId(): string | undefined {
    return this.handshake?.claimedNodeId;
  }

  /**
   * Whether this unfinished OUTBOUND attempt (ours) could turn out to be another connection
   * to `peerId` (advertising `address`): it claims that id, or, before its Hello arrived, it
   * dials that address. Inbound attempts never race: they are not ours to wait for.
   */
  races(peerId: string, address: string | undefined): boolean {
    if (this.done || this.direction !== 'outbound') return false;
    const claimed = this.claimedNodeId;
    if (claimed !== undefined) return claimed === peerId;
    return address !== undefined && this.dialAddress === address;
  }
}

/**
 * An inbound handshake from `address` (its IP and advertised listen port) whose HelloAck we
 * already sent: the peer may count it as a session any moment. A dial to that address waits
 * for it (waitForAttempt) instead of racing it and closing it as a duplicate after the peer
 * reported it connected.
 */
export function inboundHandshakeFrom(attempts: Iterable<Attempt>, address: string): Attempt | undefined {
  for (const a of attempts) {
    if (a.done || a.direction !== 'inbound' || a.heldAck !== undefined || !a.handshake) continue;
    const port = a.handshake.remoteListenPort;
    if (port > 0 && a.claimedNodeId !== undefined && formatAddress(a.ip, port) === address) return a;
  }
  return undefined;
}

/** Resolves when `attempt` ends, or after `ms` (unref'd timer), whichever is first. */
export function waitForAttempt(attempt: Attempt, ms: number): Promise<void> {
  if (attempt.done) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      attempt.endWaiters.delete(done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    timer.unref();
    attempt.endWaiters.add(done);
  });
}
