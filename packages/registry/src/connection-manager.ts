import type { Socket } from 'node:net';
import { type DecodedFrame, encodeFrame, message, pb, u64, WireError } from '@tc/wire';
import { formatAddress } from './address.js';
import type { ConnectionAdmission } from './admission/index.js';
import { normaliseIp } from './admission/index.js';
import { Attempt } from './attempt.js';
import { Connection } from './connection.js';
import { DialError, RemoteError } from './errors.js';
import { FOREIGN_PROTOCOL, isForeignProtocol } from './foreign-protocol.js';
import { HandshakeError } from './handshake/errors.js';
import { Handshake, type HandshakeConfig, type HandshakeResult } from './handshake/handshake.js';
import type { Logger } from './logger.js';
import type { RegistryMetrics } from './metrics.js';
import type { ResolvedOptions } from './options.js';
import { Session, type SessionHooks } from './session.js';
import { dedupKey, preferred, SessionTable } from './session-table.js';

const R = pb.DisconnectReason;

/** Longest liveness probe of a live session before a refused later connection replaces it. */
const PROBE_MS = 2_000;

/** Bytes of a partial frame tolerated before the handshake completes (Hello ≤ 2 KiB). */
const MAX_HANDSHAKE_PARTIAL_BYTES = 4 * 1024;

/** Local reasons a session ends with, besides the wire DisconnectReason names. */
const LOCAL_REASONS: ReadonlySet<string> = new Set(['socket-closed', 'duplicate']);

/** Bounded metric label for a disconnect reason (caller-chosen reasons count as "requested"). */
function reasonLabel(reason: string): string {
  const name = reason.startsWith('remote:') ? reason.slice(7) : reason;
  if (LOCAL_REASONS.has(name)) return reason;
  const wire = `DISCONNECT_REASON_${name.toUpperCase().replaceAll('-', '_')}`;
  return wire in R ? reason : 'requested';
}

export interface ManagerEnv {
  readonly options: ResolvedOptions;
  readonly handshake: HandshakeConfig;
  readonly admission: ConnectionAdmission;
  readonly metrics: RegistryMetrics | undefined;
  readonly logger: Logger;
  readonly sessionHooks: SessionHooks;
  /** Charges an error code to a peer (node id once proven, else its IP). */
  penalize(target: { peerId?: string; ip: string }, code: string, detail: string): void;
  /** A session became the live one for its peer (after dedup). */
  onActive(session: Session): void;
  /** A session ended. `wasActive`: it had been reported connected (emit the disconnect). */
  onEnded(session: Session, reason: string, wasActive: boolean): void;
  onFrame(session: Session, frame: DecodedFrame): void;
  /** A dial reached ourselves: never dial this address again. */
  onSelfAddress(address: string): void;
}

interface ConnectWaiter {
  resolve: (session: Session) => void;
  reject: (error: Error) => void;
}

/**
 * Owns every connection from socket to session: handshake with its deadline, the dedup
 * decision (exactly one session per peer, the same socket on both ends), activation, and
 * teardown with generation checks. It is the only code that creates or closes connections.
 */
export class ConnectionManager {
  readonly table = new SessionTable();
  private readonly attempts = new Set<Attempt>();
  private readonly connectWaiters = new Map<string, ConnectWaiter[]>();
  private readonly localId: string;

  /** Byte counters with their label children resolved once (called for every socket chunk). */
  private readonly countBytes: ((direction: 'in' | 'out', n: number) => void) | undefined;

  constructor(private readonly env: ManagerEnv) {
    this.localId = env.handshake.identity.nodeId;
    const metrics = env.metrics;
    if (metrics) {
      const bytesIn = metrics.bytes.labels({ direction: 'in' });
      const bytesOut = metrics.bytes.labels({ direction: 'out' });
      this.countBytes = (direction, n) => (direction === 'in' ? bytesIn : bytesOut).inc(n);
    }
  }

  /** Unfinished attempts (dials and inbound handshakes). */
  get pendingAttempts(): number {
    return this.attempts.size;
  }

  /** Starts an outbound attempt before its TCP connect, so that it counts as racing. */
  beginDial(address: string, ip: string): Attempt {
    const attempt = new Attempt('outbound', ip, address);
    this.attempts.add(attempt);
    return attempt;
  }

  /** The TCP connect of a dial failed or timed out. */
  abandonDial(attempt: Attempt, error: Error): void {
    if (attempt.done) return;
    attempt.done = true;
    this.attempts.delete(attempt);
    this.env.admission.release(attempt.ip, 'outbound', false);
    this.notifyRacing(attempt);
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
      const settled = { resolve, reject };
      const conn = new Connection(
        socket,
        {
          wireLimits: options.wireLimits,
          maxQueuedBytes: limits.maxQueuedBytesPerPeer,
          sendDrainTimeoutMs: limits.sendDrainTimeoutMs,
          closeTimeoutMs: limits.closeTimeoutMs,
        },
        {
          onFrame: (frame) => this.onHandshakeFrame(attempt, frame, settled),
          onWireError: (error) => this.failHandshake(attempt, error, settled),
          onTooSlow: () => conn.destroy(),
          onClose: () => this.onAttemptClosed(attempt, settled),
          onBytes: this.countBytes,
          onDrained: (partial) => {
            // Hello (≤ 2 KiB) and HelloAck (≤ 256 B) are small: a larger frame in progress
            // before the handshake completes is refused before it is buffered whole.
            if (partial > MAX_HANDSHAKE_PARTIAL_BYTES) {
              this.failHandshake(
                attempt,
                new HandshakeError('MESSAGE_BEFORE_HANDSHAKE', `${partial}+ byte frame during the handshake`),
                settled,
              );
            }
          },
        },
      );
      attempt.conn = conn;
      attempt.settled = settled;
      attempt.fail = (error) => this.failHandshake(attempt, error, settled);
      this.env.metrics?.connectionEvents.inc({ direction: attempt.direction, outcome: 'opened' });
      attempt.timer = setTimeout(
        () =>
          this.failHandshake(attempt, new HandshakeError('HANDSHAKE_TIMEOUT', 'deadline passed'), settled),
        limits.handshakeTimeoutMs,
      );
      attempt.timer.unref();
      conn.writeControl(encodeFrame(handshake.hello(), options.wireLimits));
    });
  }

  private onHandshakeFrame(attempt: Attempt, frame: DecodedFrame, settled: ConnectWaiter): void {
    if (attempt.done) return;
    let step: ReturnType<Handshake['onFrame']>;
    try {
      step = attempt.handshake!.onFrame(frame);
    } catch (error) {
      this.failHandshake(attempt, error as Error, settled);
      return;
    }
    if (step.send) {
      if (frame.kind === 'hello' && this.holdIfLoser(attempt)) attempt.heldAck = step.send;
      else attempt.conn!.writeControl(encodeFrame(step.send, this.env.options.wireLimits));
    }
    if (step.done) {
      if (attempt.heldAck)
        attempt.heldResult = step.done; // completes when the hold is released
      else this.authenticated(attempt, step.done, settled);
    }
  }

  /**
   * An inbound Hello claims peer P while one of our own dials to P is in flight, and that
   * dial would win the dedup rule (our node id is the lower dialer): this connection can only
   * be a duplicate, so we hold our HelloAck. Without it the connection completes on neither
   * side; when our dial ends, the hold is released (see releaseHold). Only our own dials
   * hold anything, so no remote can delay a proven session this way.
   */
  private holdIfLoser(attempt: Attempt): boolean {
    if (attempt.direction !== 'inbound') return false;
    const claim = attempt.claimedNodeId;
    if (claim === undefined || !(this.localId < claim)) return false;
    const port = attempt.handshake!.remoteListenPort;
    const advertised = port > 0 ? formatAddress(attempt.ip, port) : undefined;
    for (const a of this.attempts) {
      if (a !== attempt && a.races(claim, advertised)) {
        a.heldInbound.add(attempt);
        attempt.holdFor.add(a);
      }
    }
    return attempt.holdFor.size > 0;
  }

  /**
   * The dials a held inbound attempt waited for have ended. If a session to its peer is now
   * live (or parked) and preferred, the attempt is refused as a duplicate; otherwise our
   * HelloAck goes out and, if the peer's proof already arrived, the session is placed.
   */
  private releaseHold(attempt: Attempt): void {
    if (attempt.done || attempt.heldAck === undefined) return;
    const claim = attempt.claimedNodeId!;
    const key = dedupKey(claim, attempt.handshake!.remoteNonce!);
    const rival = this.table.get(claim) ?? this.table.getParked(claim);
    if (rival && rival.dedupKey <= key) {
      this.failHandshake(
        attempt,
        new HandshakeError('DUPLICATE', 'a preferred session exists'),
        attempt.settled!,
      );
      return;
    }
    const ack = attempt.heldAck;
    attempt.heldAck = undefined;
    attempt.conn!.writeControl(encodeFrame(ack, this.env.options.wireLimits));
    const result = attempt.heldResult;
    attempt.heldResult = undefined;
    if (result) this.authenticated(attempt, result, attempt.settled!);
  }

  private failHandshake(attempt: Attempt, error: Error, settled: ConnectWaiter): void {
    if (attempt.done) return;
    this.finishAttempt(attempt);
    const conn = attempt.conn!;
    const code =
      error instanceof HandshakeError || error instanceof WireError ? error.code : 'HANDSHAKE_FAILED';
    this.env.metrics?.handshakeFailures.inc({ reason: code });
    this.env.metrics?.connectionEvents.inc({ direction: attempt.direction, outcome: 'handshake_failed' });
    this.env.logger.debug({ ip: attempt.ip, code, err: error.message }, 'handshake failed');
    if (error instanceof HandshakeError) {
      if (error.code === 'SELF_CONNECTION' && attempt.dialAddress)
        this.env.onSelfAddress(attempt.dialAddress);
      const penalty = error.penaltyCode;
      if (penalty) this.env.penalize({ peerId: error.remoteNodeId, ip: attempt.ip }, penalty, error.message);
      const reason = error.disconnectReason;
      if (reason !== undefined) {
        conn.close(encodeFrame(message('disconnect', { reason, message: error.message.slice(0, 200) })));
      } else conn.close();
    } else if (error instanceof WireError) {
      const code = isForeignProtocol(error) ? FOREIGN_PROTOCOL : error.code;
      this.env.penalize({ ip: attempt.ip }, code, error.message);
      conn.destroy();
    } else conn.destroy();
    const address = attempt.dialAddress ?? attempt.ip;
    const claim = attempt.claimedNodeId;
    const duplicate =
      error instanceof HandshakeError &&
      error.code === 'REFUSED_BY_PEER' &&
      error.remoteReason === R.DISCONNECT_REASON_DUPLICATE;
    if (duplicate && claim !== undefined && attempt.direction === 'outbound') {
      // The peer kept its own connection to us: this dial resolves with that session.
      this.waitForActive(claim, settled, this.env.options.limits.handshakeTimeoutMs, address);
    } else settled.reject(new DialError('DIAL_REFUSED', address, error.message, { cause: error }));
    this.notifyRacing(attempt);
  }

  private onAttemptClosed(attempt: Attempt, settled: ConnectWaiter): void {
    this.env.admission.release(attempt.ip, attempt.direction, attempt.promoted);
    this.env.metrics?.connectionEvents.inc({ direction: attempt.direction, outcome: 'closed' });
    if (attempt.session) {
      this.endSession(attempt.session, 'socket-closed', undefined);
      return;
    }
    this.failHandshake(attempt, new HandshakeError('CONNECTION_CLOSED', 'socket closed'), settled);
  }

  private finishAttempt(attempt: Attempt): void {
    attempt.done = true;
    if (attempt.timer) clearTimeout(attempt.timer);
    attempt.timer = undefined;
    this.attempts.delete(attempt);
  }

  private authenticated(attempt: Attempt, result: HandshakeResult, settled: ConnectWaiter): void {
    this.finishAttempt(attempt);
    const conn = attempt.conn!;
    this.env.admission.promote(attempt.ip, attempt.direction);
    attempt.promoted = true;
    this.env.metrics?.connectionEvents.inc({ direction: attempt.direction, outcome: 'established' });
    const outbound = attempt.direction === 'outbound';
    const listenPort = result.hello.listenPort;
    const address = outbound
      ? attempt.dialAddress!
      : formatAddress(attempt.ip, listenPort > 0 ? listenPort : conn.remotePort);
    const session = new Session({
      peerId: result.remoteNodeId,
      generation: this.table.nextGeneration(),
      direction: attempt.direction,
      address,
      dialable: outbound || listenPort > 0,
      hello: result.hello,
      dedupKey: outbound
        ? dedupKey(this.localId, result.localNonce)
        : dedupKey(result.remoteNodeId, result.remoteNonce),
      connection: conn,
      maxInflightOutbound: this.env.options.limits.maxInflightOutboundPerPeer,
      sendDrainTimeoutMs: this.env.options.limits.sendDrainTimeoutMs,
      wireLimits: this.env.options.wireLimits,
      hooks: this.env.sessionHooks,
    });
    attempt.session = session;
    // Hold frames until the session is placed: a parked session must not deliver anything.
    conn.pause('placement');
    conn.setHandlers({
      onFrame: (frame) => this.env.onFrame(session, frame),
      onWireError: (error) =>
        this.env.penalize({ peerId: session.peerId, ip: attempt.ip }, error.code, error.message),
      onTooSlow: () =>
        this.env.penalize({ peerId: session.peerId, ip: attempt.ip }, 'TOO_SLOW', 'write queue stalled'),
      onClose: () => this.onAttemptClosed(attempt, settled),
      onBytes: this.countBytes,
    });
    this.waitForActive(session.peerId, settled);
    this.decide(session, true);
    const live = this.table.get(session.peerId);
    if (live && session.state !== 'parked') this.resolveWaiters(live);
    this.notifyRacing(attempt);
    if (session.state !== 'closed') conn.resume('placement');
  }

  /**
   * The dedup decision for a freshly authenticated (or un-parked) session. The preferred of
   * all sessions to the peer survives; the others are closed with DUPLICATE. The survivor
   * is parked while an attempt that may be a racing connection to the same peer is still
   * in its handshake (bounded by that attempt's deadline), so both ends decide with the
   * same information and "connected" is reported only after the decision.
   */
  private decide(session: Session, mayPark: boolean): void {
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
    if (mayPark) {
      const advertised = session.dialable ? session.address : undefined;
      const racing = [...this.attempts].filter((a) => a.races(session.peerId, advertised));
      if (racing.length > 0) {
        this.table.park(session);
        session.connection.pause('parked');
        for (const a of racing) {
          a.waiters.add(session);
          session.racing.add(a);
        }
        return;
      }
    }
    this.activate(session);
  }

  private probeThenDecide(newcomer: Session, live: Session): void {
    this.table.park(newcomer);
    newcomer.connection.pause('parked');
    const timeoutMs = Math.min(PROBE_MS, this.env.options.limits.handshakeTimeoutMs);
    const ping = message('ping', { nonce: u64(0), sentAtMs: u64(Date.now()) });
    live.request(ping, { timeoutMs, expect: 'pong' }).then(
      () => this.afterProbe(newcomer, live, true),
      (error: unknown) => this.afterProbe(newcomer, live, error instanceof RemoteError),
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
  private notifyRacing(attempt: Attempt): void {
    for (const held of attempt.heldInbound) {
      held.holdFor.delete(attempt);
      if (held.holdFor.size === 0) this.releaseHold(held);
    }
    attempt.heldInbound.clear();
    for (const a of attempt.holdFor) a.heldInbound.delete(attempt);
    attempt.holdFor.clear();
    for (const session of attempt.waiters) {
      session.racing.delete(attempt);
      if (session.state === 'parked' && session.racing.size === 0) {
        this.decide(session, false);
        if ((session.state as Session['state']) === 'active') session.connection.resume('parked');
      }
    }
    attempt.waiters.clear();
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

  private resolveWaiters(session: Session): void {
    const waiters = this.connectWaiters.get(session.peerId);
    this.connectWaiters.delete(session.peerId);
    for (const w of waiters ?? []) w.resolve(session);
  }

  /**
   * `waiter` settles when a session to `peerId` is live. With `timeoutMs`, it is rejected if
   * none is by then (a dial refused as a duplicate waits for the peer's connection this way).
   */
  private waitForActive(peerId: string, waiter: ConnectWaiter, timeoutMs?: number, address?: string): void {
    const live = this.table.get(peerId);
    if (live && timeoutMs !== undefined) {
      waiter.resolve(live);
      return;
    }
    let entry = waiter;
    if (timeoutMs !== undefined) {
      let done = false;
      const timer = setTimeout(() => {
        if (done) return;
        done = true;
        const list = this.connectWaiters.get(peerId);
        if (list) {
          const rest = list.filter((w) => w !== entry);
          if (rest.length > 0) this.connectWaiters.set(peerId, rest);
          else this.connectWaiters.delete(peerId);
        }
        waiter.reject(
          new DialError('DIAL_FAILED', address ?? peerId, 'refused as a duplicate, no session followed'),
        );
      }, timeoutMs);
      timer.unref();
      entry = {
        resolve: (s) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          waiter.resolve(s);
        },
        reject: (e) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          waiter.reject(e);
        },
      };
    }
    const list = this.connectWaiters.get(peerId);
    if (list) list.push(entry);
    else this.connectWaiters.set(peerId, [entry]);
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
    for (const a of session.racing) a.waiters.delete(session);
    session.racing.clear();
    if (wasActive) this.env.metrics?.connections.dec({ direction: session.direction });
    this.env.metrics?.disconnects.inc({ reason: reasonLabel(reason) });
    this.env.onEnded(session, reason, wasActive);
    if (send !== undefined && !remote) {
      session.connection.close(encodeFrame(message('disconnect', { reason: send, message: reason })));
    } else session.connection.close();
    // A duplicate loses to a session of the same peer, so dials waiting for the peer wait on.
    if ((wasParked || wasActive) && reason !== 'duplicate') this.rejectWaitersIfGone(session.peerId, reason);
  }

  private rejectWaitersIfGone(peerId: string, reason: string): void {
    if (this.table.get(peerId) || this.table.getParked(peerId)) return;
    const waiters = this.connectWaiters.get(peerId);
    if (!waiters) return;
    this.connectWaiters.delete(peerId);
    for (const w of waiters) w.reject(new DialError('DIAL_FAILED', peerId, `session ended: ${reason}`));
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
