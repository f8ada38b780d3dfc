import type { WireLimits } from '@tc/wire';
import { encodeFrame, message, pb, u64 } from '@tc/wire';
import { PeerDisconnectedError, RequestTimeoutError } from '../errors.js';
import type { HandshakeError } from '../handshake/errors.js';
import type { HandshakeResult } from '../handshake/handshake.js';
import type { RegistryMetrics } from '../metrics.js';
import type { Session } from '../session.js';
import { AckHolds } from './ack-holds.js';
import type { Attempt } from './attempt.js';
import { type ConnectWaiter, ConnectWaiters } from './connect-waiters.js';
import { dedupKey, preferred, SessionTable } from './session-table.js';

const R = pb.DisconnectReason;

/** Longest liveness probe of a live session before a refused later connection replaces it. */
const PROBE_MS = 2_000;

/** Local reasons a session ends with, besides the wire DisconnectReason names. */
const LOCAL_REASONS: ReadonlySet<string> = new Set(['socket-closed', 'duplicate']);

/** Bounded metric label for a disconnect reason (caller-chosen reasons count as "requested"). */
function reasonLabel(reason: string): string {
  const name = reason.startsWith('remote:') ? reason.slice(7) : reason;
  if (LOCAL_REASONS.has(name)) return reason;
  const wire = `DISCONNECT_REASON_${name.toUpperCase().replaceAll('-', '_')}`;
  return wire in R ? reason : 'requested';
}

export interface PlacementEnv {
  readonly localId: string;
  readonly metrics: RegistryMetrics | undefined;
  readonly wireLimits: WireLimits;
  readonly handshakeTimeoutMs: number;
  /** Longest a held ack or a park may wait for our own dials, in all (limits.dedupHoldMs). */
  readonly dedupHoldMs: number;
  /** Unfinished attempts (ours and inbound). */
  attempts(): Iterable<Attempt>;
  /** A held inbound attempt lost: refuse it (Disconnect{DUPLICATE}). */
  refuseHeld(attempt: Attempt, error: HandshakeError): void;
  /** A held inbound attempt whose proof already arrived may now become a session. */
  completeHeld(attempt: Attempt, result: HandshakeResult): void;
  onActive(session: Session): void;
  onEnded(session: Session, reason: string, wasActive: boolean): void;
}

export type { ConnectWaiter } from './connect-waiters.js';

/**
 * Where an authenticated connection goes: the dedup decision (exactly one session per peer,
 * the same socket on both ends), held acks and parking while our own dials race, the probe
 * of a live session a later connection would lose to, activation, and teardown with
 * generation checks. Dials wait here for the session their peer ends up with.
 */
export class SessionPlacement {
  readonly table = new SessionTable();
  private readonly waiters = new ConnectWaiters((peerId) => this.table.get(peerId));
  private readonly holds: AckHolds;
  /**
   * Parked sessions and what they wait for: our own dials that could beat them, and the timer
   * that ends the wait. This class is the only writer (at most one entry per parked session).
   */
  private readonly parks = new Map<
    Session,
    { readonly racing: Set<Attempt>; readonly timer: NodeJS.Timeout }
  >();

  constructor(private readonly env: PlacementEnv) {
    this.holds = new AckHolds({
      localId: env.localId,
      wireLimits: env.wireLimits,
      dedupHoldMs: env.dedupHoldMs,
      attempts: () => env.attempts(),
      sessionOf: (peerId) => this.table.get(peerId) ?? this.table.getParked(peerId),
      refuseHeld: (attempt, error) => env.refuseHeld(attempt, error),
      completeHeld: (attempt, result) => env.completeHeld(attempt, result),
    });
  }

  /** Our HelloAck held on a connection while a competing one finishes (see AckHolds). */
  holdIfLoser(attempt: Attempt): boolean {
    return this.holds.holdIfLoser(attempt);
  }

  holdForInbound(attempt: Attempt): boolean {
    return this.holds.holdForInbound(attempt);
  }

  /**
   * The dedup decision for a freshly authenticated (or un-parked) session. The preferred of
   * all sessions to the peer survives; the others are closed with DUPLICATE. The survivor
   * is parked while one of our own dials to the same peer is still in its handshake AND
   * could beat it under the rule (so "connected" is reported only after the decision), but
   * for at most what is left of `dedupHoldMs` since it (or its held attempt) first waited:
   * our dial's claim is unproven until it completes. A dial that cannot win delays nothing.
   */
  decide(session: Session, mayPark: boolean): void {
    const rivals = [this.table.get(session.peerId), this.table.getParked(session.peerId)].filter(
      (s): s is Session => s !== undefined && s !== session && s.state !== 'closed',
    );
    let winner = session;
    for (const rival of rivals) winner = preferred(winner, rival);
    for (const rival of rivals) if (rival !== winner) this.closeDuplicate(rival);
    if (winner !== session) {
      const live = this.table.get(session.peerId);
      if (mayPark && winner === live) {
        // A later connection the rule refuses: first make sure the live session is not a dead
        // one left behind by a crash (a restarted peer would otherwise be refused until the
        // ping timeout). Bounded by PROBE_MS; both ends that hold both sessions agree anyway.
        this.probeThenDecide(session, live);
        return;
      }
      this.closeDuplicate(session);
      return;
    }
    if (mayPark && this.parkOnOwnDials(session)) return;
    this.activate(session);
  }

  /** Parks `session` on our own in-flight dials that could still beat it (bounded). */
  private parkOnOwnDials(session: Session): boolean {
    const now = Date.now();
    const left = this.env.dedupHoldMs - (now - (session.waitStartedAt ?? now));
    if (left <= 0) return false;
    const advertised = session.dialable ? session.address : undefined;
    const racing = [...this.env.attempts()].filter(
      (a) => a.races(session.peerId, advertised) && this.couldBeat(a, session.dedupKey),
    );
    if (racing.length === 0) return false;
    this.table.park(session);
    session.connection.pause('parked');
    for (const a of racing) a.waiters.add(session);
    const timer = setTimeout(() => this.parkExpired(session), left);
    timer.unref();
    this.parks.set(session, { racing: new Set(racing), timer });
    return true;
  }

  /**
   * Whether our own outbound attempt `a`, once a session, could be preferred to a session
   * with `key`. Its key is our node id and its Hello nonce (unknown before its TCP connect:
   * then only a session dialled by us too could lose to it).
   */
  private couldBeat(a: Attempt, key: string): boolean {
    const nonce = a.handshake?.localNonce;
    const ours = nonce ? dedupKey(this.env.localId, nonce) : `${this.env.localId}:`;
    return ours < key;
  }

  private parkExpired(session: Session): void {
    const park = this.parks.get(session);
    this.parks.delete(session);
    if (park === undefined || session.state !== 'parked' || park.racing.size === 0) return;
    for (const a of park.racing) a.waiters.delete(session);
    this.decide(session, false);
    if ((session.state as Session['state']) === 'active') session.connection.resume('parked');
  }

  private probeThenDecide(newcomer: Session, live: Session): void {
    this.table.park(newcomer);
    newcomer.connection.pause('parked');
    const timeoutMs = Math.min(PROBE_MS, this.env.handshakeTimeoutMs);
    const ping = message('ping', { nonce: u64(0), sentAtMs: u64(Date.now()) });
    live.request(ping, { timeoutMs, expect: 'pong', urgent: true }).then(
      () => this.afterProbe(newcomer, live, true),
      // Only silence or a dead socket means dead: a reply of any kind, or our own full
      // in-flight bound, says nothing against the live session.
      (error: unknown) =>
        this.afterProbe(
          newcomer,
          live,
          !(error instanceof RequestTimeoutError || error instanceof PeerDisconnectedError),
        ),
    );
  }

  private afterProbe(newcomer: Session, live: Session, alive: boolean): void {
    if (newcomer.state !== 'parked') return; // decided meanwhile (closed, or a third session)
    if (alive && live.state === 'active') {
      this.closeDuplicate(newcomer);
      this.resolveWaiters(live);
      return;
    }
    if (live.state === 'active') {
      this.endSession(live, 'ping-timeout', R.DISCONNECT_REASON_PING_TIMEOUT);
    }
    this.decide(newcomer, false);
    if ((newcomer.state as Session['state']) === 'active') newcomer.connection.resume('parked');
  }

  /** An attempt finished: held attempts and parked sessions that waited only for it go on. */
  attemptEnded(attempt: Attempt): void {
    this.holds.attemptEnded(attempt);
    for (const session of attempt.waiters) {
      const park = this.parks.get(session);
      park?.racing.delete(attempt);
      if (park !== undefined && session.state === 'parked' && park.racing.size === 0) {
        this.unpark(session);
        this.decide(session, false);
        if ((session.state as Session['state']) === 'active') session.connection.resume('parked');
      }
    }
    attempt.waiters.clear();
  }

  /** Forgets a session's park: its timer stops; the attempts it raced are the caller's. */
  private unpark(session: Session): void {
    const park = this.parks.get(session);
    if (park) clearTimeout(park.timer);
    this.parks.delete(session);
  }

  private activate(session: Session): void {
    if (!session.connection.writable) {
      // "Connected" only while a live writer exists: a socket that died while parked is dropped.
      this.endSession(session, 'socket-closed', undefined);
      return;
    }
    this.table.setActive(session);
    session.connectedAtMs = Date.now();
    this.env.metrics?.connections.inc({ direction: session.direction });
    this.env.onActive(session);
    this.resolveWaiters(session);
  }

  resolveWaiters(session: Session): void {
    this.waiters.resolve(session);
  }

  /**
   * `waiter` settles when a session to `peerId` is live. With `timeoutMs`, it is rejected if
   * none is by then (a dial refused as a duplicate waits for the peer's connection this way).
   */
  waitForActive(peerId: string, waiter: ConnectWaiter, timeoutMs?: number, address?: string): void {
    this.waiters.add(peerId, waiter, timeoutMs, address);
  }

  private closeDuplicate(session: Session): void {
    this.endSession(session, 'duplicate', R.DISCONNECT_REASON_DUPLICATE);
  }

  /**
   * Ends a session once (idempotent). Only a session that is still the live one for its
   * peer (same generation) is removed and reported disconnected; an old session's cleanup
   * never touches a newer one. `send` is the Disconnect reason to send, if any.
   */
  endSession(session: Session, reason: string, send: number | undefined, remote = false): void {
    if (session.state === 'closed') return;
    const wasParked = session.state === 'parked';
    const wasActive = this.table.remove(session);
    session.state = 'closed';
    const park = this.parks.get(session);
    if (park) for (const a of park.racing) a.waiters.delete(session);
    this.unpark(session);
    if (wasActive) this.env.metrics?.connections.dec({ direction: session.direction });
    this.env.metrics?.disconnects.inc({ reason: reasonLabel(reason) });
    this.env.onEnded(session, reason, wasActive);
    if (send !== undefined && !remote) {
      session.connection.close(encodeFrame(message('disconnect', { reason: send, message: reason })));
    } else session.connection.close();
    // A duplicate loses to a session of the same peer, so dials waiting for the peer wait on.
    if ((wasParked || wasActive) && reason !== 'duplicate') {
      const peerId = session.peerId;
      if (!this.table.get(peerId) && !this.table.getParked(peerId)) this.waiters.rejectAll(peerId, reason);
    }
  }
}
