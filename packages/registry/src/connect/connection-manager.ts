import type { Socket } from 'node:net';
import { type DecodedFrame, encodeFrame } from '@tc/wire';
import type { ConnectionAdmission } from '../admission/index.js';
import { normaliseIp } from '../admission/index.js';
import { Connection } from '../connection.js';
import { DialError } from '../errors.js';
import { checkFrameHeader } from '../frame-router.js';
import { HandshakeError } from '../handshake/errors.js';
import { Handshake, type HandshakeConfig, type HandshakeResult } from '../handshake/handshake.js';
import type { Logger } from '../logger.js';
import type { RegistryMetrics } from '../metrics.js';
import type { ResolvedOptions } from '../options.js';
import { PartialFrameBudget } from '../partial-budget.js';
import type { Session, SessionHooks } from '../session.js';
import { Attempt, inboundHandshakeFrom } from './attempt.js';
import {
  closeFailedHandshake,
  type HandshakeFailureEnv,
  handshakeFailureCode,
  lostToDuplicate,
} from './handshake-failure.js';
import { RefusalLog } from './refusal-log.js';
import { sessionFromHandshake } from './session-factory.js';
import { SessionPlacement } from './session-placement.js';
import type { SessionTable } from './session-table.js';

/**
 * Largest frame whose Envelope header does not name its kind (metadata before the body: no
 * current peer writes one). It is buffered whole before decoding, unlike a named unknown kind,
 * which the decoder skips unbuffered at any size.
 */
export const MAX_UNNAMED_FRAME_BYTES = 64 * 1024;

/** Bytes of a partial frame tolerated before the handshake completes (Hello ≤ 2 KiB). */
const MAX_HANDSHAKE_PARTIAL_BYTES = 4 * 1024;

export interface ManagerEnv extends HandshakeFailureEnv {
  readonly options: ResolvedOptions;
  readonly handshake: HandshakeConfig;
  readonly admission: ConnectionAdmission;
  readonly metrics: RegistryMetrics | undefined;
  readonly logger: Logger;
  readonly sessionHooks: SessionHooks;
  /** A session became the live one for its peer (after dedup). */
  onActive(session: Session): void;
  /** A session ended. `wasActive`: it had been reported connected (emit the disconnect). */
  onEnded(session: Session, reason: string, wasActive: boolean): void;
  onFrame(session: Session, frame: DecodedFrame): void;
}

/**
 * Owns every connection from socket to session: admission slots, the handshake with its
 * deadline, and the hand-over of each authenticated connection to SessionPlacement (dedup,
 * activation, teardown). It is the only code that creates or closes connections.
 */
export class ConnectionManager {
  private readonly attempts = new Set<Attempt>();
  private readonly refusals: RefusalLog;
  private readonly localId: string;
  private readonly placement: SessionPlacement;
  /** Unfinished unsolicited frames across all sessions (limits.maxPartialFrameBytes). */
  private readonly partialBudget: PartialFrameBudget;

  /** Byte counters with their label children resolved once (called for every socket chunk). */
  private readonly countBytes: ((direction: 'in' | 'out', n: number) => void) | undefined;

  constructor(private readonly env: ManagerEnv) {
    this.localId = env.handshake.identity.nodeId;
    this.refusals = new RefusalLog(env.logger);
    this.placement = new SessionPlacement({
      localId: this.localId,
      metrics: env.metrics,
      wireLimits: env.options.wireLimits,
      handshakeTimeoutMs: env.options.limits.handshakeTimeoutMs,
      dedupHoldMs: Math.min(env.options.limits.dedupHoldMs, env.options.limits.handshakeTimeoutMs),
      attempts: () => this.attempts,
      refuseHeld: (attempt, error) => this.failHandshake(attempt, error),
      completeHeld: (attempt, result) => this.authenticated(attempt, result),
      onActive: (session) => env.onActive(session),
      onEnded: (session, reason, wasActive) => env.onEnded(session, reason, wasActive),
    });
    this.partialBudget = new PartialFrameBudget(env.options.limits.maxPartialFrameBytes, (s, bytes) => {
      if (s.state === 'closed') return; // already closing: its bytes go with the socket
      const detail = `${bytes} bytes of an unfinished frame, the oldest over the budget`;
      env.penalize({ peerId: s.peerId, ip: s.connection.remoteAddress }, 'PARTIAL_FRAME_BUDGET', detail);
    });
    const metrics = env.metrics;
    if (metrics) {
      const bytesIn = metrics.bytes.labels({ direction: 'in' });
      const bytesOut = metrics.bytes.labels({ direction: 'out' });
      this.countBytes = (direction, n) => (direction === 'in' ? bytesIn : bytesOut).inc(n);
    }
  }

  /** peerId → the live session (and parked ones). */
  get table(): SessionTable {
    return this.placement.table;
  }

  /** Ends a session once; see SessionPlacement.endSession. */
  endSession(session: Session, reason: string, send: number | undefined, remote = false): void {
    this.placement.endSession(session, reason, send, remote);
  }

  /** Unfinished attempts (dials and inbound handshakes). */
  get pendingAttempts(): number {
    return this.attempts.size;
  }

  /** Starts an outbound attempt before its TCP connect, so that it counts as racing. */
  beginDial(address: string, ip: string, waitStartedAt?: number): Attempt {
    const attempt = new Attempt('outbound', ip, address);
    attempt.waitStartedAt = waitStartedAt;
    this.attempts.add(attempt);
    return attempt;
  }

  /** The TCP connect of a dial failed or timed out. */
  abandonDial(attempt: Attempt, error: Error): void {
    if (attempt.done) return;
    attempt.end();
    this.attempts.delete(attempt);
    this.env.admission.release(attempt.ip, 'outbound', false);
    this.placement.attemptEnded(attempt);
    void error;
  }

  /** An accepted inbound socket (admission already granted). */
  acceptInbound(socket: Socket): void {
    const attempt = new Attempt('inbound', normaliseIp(socket.remoteAddress ?? ''), undefined);
    this.attempts.add(attempt);
    this.attach(attempt, socket).catch(() => undefined);
  }

  /**
   * Runs the handshake on a connected socket. Resolves with the session that ends up live
   * for the peer: this one, or the one it lost the dedup to.
   */
  attach(attempt: Attempt, socket: Socket): Promise<Session> {
    const { options } = this.env;
    const limits = options.limits;
    const handshake = new Handshake(this.env.handshake);
    attempt.handshake = handshake;
    return new Promise<Session>((resolve, reject) => {
      // The attempt carries its settlement: every step below reaches it through the attempt.
      attempt.settled = { resolve, reject };
      const conn = new Connection(
        socket,
        {
          wireLimits: options.wireLimits,
          maxQueuedBytes: limits.maxQueuedBytesPerPeer,
          sendDrainTimeoutMs: limits.sendDrainTimeoutMs,
          closeTimeoutMs: limits.closeTimeoutMs,
        },
        {
          onFrame: (frame) => this.onHandshakeFrame(attempt, frame),
          onWireError: (error) => this.failHandshake(attempt, error),
          onTooSlow: () => conn.destroy(),
          onClose: () => this.onAttemptClosed(attempt),
          onBytes: this.countBytes,
          onDrained: (partial) => {
            // Hello (≤ 2 KiB) and HelloAck (≤ 256 B) are small: a larger frame in progress
            // before the handshake completes is refused before it is buffered whole.
            if (partial > MAX_HANDSHAKE_PARTIAL_BYTES) {
              this.failHandshake(
                attempt,
                new HandshakeError('MESSAGE_BEFORE_HANDSHAKE', `${partial}+ byte frame during the handshake`),
              );
            }
          },
        },
      );
      attempt.conn = conn;
      attempt.fail = (error) => this.failHandshake(attempt, error);
      this.env.metrics?.connectionEvents.inc({ direction: attempt.direction, outcome: 'opened' });
      attempt.timer = setTimeout(
        () => this.failHandshake(attempt, new HandshakeError('HANDSHAKE_TIMEOUT', 'deadline passed')),
        limits.handshakeTimeoutMs,
      );
      attempt.timer.unref();
      conn.writeControl(encodeFrame(handshake.hello(), options.wireLimits));
    });
  }

  private onHandshakeFrame(attempt: Attempt, frame: DecodedFrame): void {
    if (attempt.done) return;
    let step: ReturnType<Handshake['onFrame']>;
    try {
      step = attempt.handshake!.onFrame(frame);
    } catch (error) {
      this.failHandshake(attempt, error as Error);
      return;
    }
    if (step.send) {
      const hold =
        frame.kind === 'hello' &&
        (this.placement.holdIfLoser(attempt) || this.placement.holdForInbound(attempt));
      if (hold) attempt.heldAck = step.send;
      else attempt.conn!.writeControl(encodeFrame(step.send, this.env.options.wireLimits));
    }
    if (step.done) {
      if (attempt.heldAck)
        attempt.heldResult = step.done; // completes when the hold is released
      else this.authenticated(attempt, step.done);
    }
  }

  private failHandshake(attempt: Attempt, error: Error): void {
    const settled = attempt.settled!;
    if (attempt.done) return;
    this.finishAttempt(attempt);
    const code = handshakeFailureCode(error);
    this.env.metrics?.handshakeFailures.inc({ reason: code });
    this.env.metrics?.connectionEvents.inc({ direction: attempt.direction, outcome: 'handshake_failed' });
    this.refusals.log(attempt, code, error);
    closeFailedHandshake(attempt, error, this.env);
    const address = attempt.dialAddress ?? attempt.ip;
    const claim = attempt.claimedNodeId;
    if (lostToDuplicate(error) && claim !== undefined && attempt.direction === 'outbound') {
      // A connection of the peer's (kept by it, or by us) survives: this dial resolves with it.
      this.placement.waitForActive(claim, settled, this.env.options.limits.handshakeTimeoutMs, address);
    } else settled.reject(new DialError('DIAL_REFUSED', address, error.message, { cause: error }));
    this.placement.attemptEnded(attempt);
  }

  private onAttemptClosed(attempt: Attempt): void {
    this.env.admission.release(attempt.ip, attempt.direction, attempt.promoted);
    this.env.metrics?.connectionEvents.inc({ direction: attempt.direction, outcome: 'closed' });
    if (attempt.session) {
      this.placement.endSession(attempt.session, 'socket-closed', undefined);
      return;
    }
    this.failHandshake(attempt, new HandshakeError('CONNECTION_CLOSED', 'socket closed'));
  }

  private finishAttempt(attempt: Attempt): void {
    attempt.end();
    this.attempts.delete(attempt);
  }

  /** An inbound handshake from `address` whose HelloAck we sent (see inboundHandshakeFrom). */
  inboundHandshakeFrom(address: string): Attempt | undefined {
    return inboundHandshakeFrom(this.attempts, address);
  }

  private authenticated(attempt: Attempt, result: HandshakeResult): void {
    const settled = attempt.settled!;
    this.finishAttempt(attempt);
    const conn = attempt.conn!;
    this.env.admission.promote(attempt.ip, attempt.direction);
    attempt.promoted = true;
    this.env.metrics?.connectionEvents.inc({ direction: attempt.direction, outcome: 'established' });
    const session = sessionFromHandshake(attempt, result, {
      localId: this.localId,
      generation: this.placement.table.nextGeneration(),
      options: this.env.options,
      hooks: this.env.sessionHooks,
    });
    attempt.session = session;
    // Hold frames until the session is placed: a parked session must not deliver anything.
    conn.pause('placement');
    const maxUnnamed = MAX_UNNAMED_FRAME_BYTES;
    const budget = this.partialBudget;
    conn.setHandlers({
      onFrame: (frame) => {
        budget.frameDone(session);
        this.env.onFrame(session, frame);
      },
      onHeader: (header) => budget.frameStarted(session, checkFrameHeader(session, header, maxUnnamed)),
      onDrained: (partial) => budget.update(session, partial),
      onWireError: (error) =>
        this.env.penalize({ peerId: session.peerId, ip: attempt.ip }, error.code, error.message),
      onTooSlow: () =>
        this.env.penalize({ peerId: session.peerId, ip: attempt.ip }, 'TOO_SLOW', 'write queue stalled'),
      onClose: () => {
        budget.remove(session);
        this.onAttemptClosed(attempt);
      },
      onBytes: this.countBytes,
    });
    this.placement.waitForActive(session.peerId, settled);
    this.placement.decide(session, true);
    const live = this.placement.table.get(session.peerId);
    if (live && session.state !== 'parked') this.placement.resolveWaiters(live);
    this.placement.attemptEnded(attempt);
    if (session.state !== 'closed') conn.resume('placement');
  }

  /**
   * Ends every unfinished attempt (shutdown). One whose peer may already count it as a
   * session gets Disconnect{SHUTDOWN}, like the live sessions.
   */
  abortAttempts(): void {
    for (const attempt of [...this.attempts]) {
      if (attempt.fail) attempt.fail(new HandshakeError('SHUTTING_DOWN', 'shutting down'));
      else this.abandonDial(attempt, new Error('stopped'));
    }
  }

  /** Every connection still open (sessions of any state and attempts), for shutdown. */
  openConnections(): Connection[] {
    const out: Connection[] = [];
    for (const s of this.table.values()) out.push(s.connection);
    for (const s of this.table.parkedValues()) out.push(s.connection);
    for (const a of this.attempts) if (a.conn) out.push(a.conn);
    return out.filter((c) => !c.closed);
  }
}
