import type { WireLimits } from '@tc/wire';
import { encodeFrame } from '@tc/wire';
import { formatAddress } from '../address.js';
import { HandshakeError } from '../handshake/errors.js';
import type { HandshakeResult } from '../handshake/handshake.js';
import type { Session } from '../session.js';
import type { Attempt } from './attempt.js';
import { dedupKey } from './session-table.js';

export interface AckHoldsEnv {
  readonly localId: string;
  readonly wireLimits: WireLimits;
  /** Longest any one connection waits, in all (limits.dedupHoldMs). */
  readonly dedupHoldMs: number;
  /** Unfinished attempts (ours and inbound). */
  attempts(): Iterable<Attempt>;
  /** The live (or parked) session to a peer, if any. */
  sessionOf(peerId: string): Session | undefined;
  /** A held attempt lost: refuse it (Disconnect{DUPLICATE}). */
  refuseHeld(attempt: Attempt, error: HandshakeError): void;
  /** A held attempt whose proof already arrived may now become a session. */
  completeHeld(attempt: Attempt, result: HandshakeResult): void;
}

/**
 * Held HelloAcks: a connection that would only turn out to be a duplicate is kept from
 * completing on either side (we do not send our HelloAck) while the connection it competes
 * with finishes its handshake, so "connected" is never reported for a loser. Every hold is
 * bounded by what is left of `dedupHoldMs` for that connection.
 */
export class AckHolds {
  constructor(private readonly env: AckHoldsEnv) {}

  /**
   * An inbound Hello claims peer P while one of our own dials to P is in flight, and that
   * dial would win the dedup rule (our node id is the lower dialer): this connection can only
   * be a duplicate, so we hold our HelloAck. Without it the connection completes on neither
   * side; when our dial ends, the hold is released (see releaseHold). The claim of our own
   * dial is unproven too until it completes (finding 3 of tools/hostile: an endpoint we dialled
   * may present P's public key and stall), so the hold lasts at most `dedupHoldMs`; an honest
   * simultaneous dial resolves within a round trip or two.
   */
  holdIfLoser(attempt: Attempt): boolean {
    if (attempt.direction !== 'inbound') return false;
    const claim = attempt.claimedNodeId;
    if (claim === undefined || !(this.env.localId < claim) || this.holdLeft(attempt) <= 0) return false;
    const port = attempt.handshake!.remoteListenPort;
    const advertised = port > 0 ? formatAddress(attempt.ip, port) : undefined;
    for (const a of this.env.attempts()) {
      if (a !== attempt && a.races(claim, advertised)) {
        a.heldInbound.add(attempt);
        attempt.holdFor.add(a);
      }
    }
    if (attempt.holdFor.size === 0) return false;
    this.startHold(attempt);
    return true;
  }

  /**
   * Our own dial reached peer P (P's Hello arrived on it) while P's connection to us is in its
   * handshake with our HelloAck already sent: P may report that connection any moment, so
   * completing our dial too would make the rule close one P may have reported. We hold our
   * HelloAck on the dial instead; when P's connection ends, the dial is refused as DUPLICATE if
   * a session to P exists (and resolves with it), else it completes. Bounded by `dedupHoldMs`
   * like any hold (the inbound claim is unproven until that connection completes).
   */
  holdForInbound(attempt: Attempt): boolean {
    if (attempt.direction !== 'outbound') return false;
    const claim = attempt.claimedNodeId;
    if (claim === undefined || this.holdLeft(attempt) <= 0) return false;
    for (const b of this.env.attempts()) {
      if (b === attempt || b.done || b.direction !== 'inbound' || b.heldAck !== undefined) continue;
      if (b.claimedNodeId !== claim) continue;
      b.heldInbound.add(attempt);
      attempt.holdFor.add(b);
    }
    if (attempt.holdFor.size === 0) return false;
    this.startHold(attempt);
    return true;
  }

  /** What is left of `dedupHoldMs` for an attempt (it may have waited before, e.g. a dial's join). */
  private holdLeft(attempt: Attempt): number {
    const now = Date.now();
    return this.env.dedupHoldMs - (now - (attempt.waitStartedAt ?? now));
  }

  private startHold(attempt: Attempt): void {
    const left = this.holdLeft(attempt);
    attempt.waitStartedAt ??= Date.now();
    attempt.holdTimer = setTimeout(() => this.holdExpired(attempt), left);
    attempt.holdTimer.unref();
  }

  /** `dedupHoldMs` passed while our dials still run: stop waiting for them. */
  private holdExpired(attempt: Attempt): void {
    attempt.holdTimer = undefined;
    for (const a of attempt.holdFor) a.heldInbound.delete(attempt);
    attempt.holdFor.clear();
    this.releaseHold(attempt);
  }

  /**
   * What a held attempt waited for has ended (or `dedupHoldMs` passed). A held inbound attempt
   * is refused as a duplicate if a session to its peer is now live (or parked) and preferred;
   * a held dial of ours, if any session to the peer exists. Otherwise our HelloAck goes out
   * and, if the peer's proof already arrived, the session is placed.
   */
  releaseHold(attempt: Attempt): void {
    if (attempt.done || attempt.heldAck === undefined) return;
    if (attempt.holdTimer) clearTimeout(attempt.holdTimer);
    attempt.holdTimer = undefined;
    const claim = attempt.claimedNodeId!;
    const key = dedupKey(claim, attempt.handshake!.remoteNonce!);
    const rival = this.env.sessionOf(claim);
    if (rival && (attempt.direction === 'outbound' || rival.dedupKey <= key)) {
      this.env.refuseHeld(attempt, new HandshakeError('DUPLICATE', 'a preferred session exists'));
      return;
    }
    const ack = attempt.heldAck;
    attempt.heldAck = undefined;
    attempt.conn!.writeControl(encodeFrame(ack, this.env.wireLimits));
    const result = attempt.heldResult;
    attempt.heldResult = undefined;
    if (result) this.env.completeHeld(attempt, result);
  }

  /** An attempt finished: attempts held only for it are released. */
  attemptEnded(attempt: Attempt): void {
    for (const held of attempt.heldInbound) {
      held.holdFor.delete(attempt);
      if (held.holdFor.size === 0) this.releaseHold(held);
    }
    attempt.heldInbound.clear();
    for (const a of attempt.holdFor) a.heldInbound.delete(attempt);
    attempt.holdFor.clear();
  }
}
