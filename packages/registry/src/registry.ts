import { createServer, type Server } from 'node:net';
import { encodeFrame, type KindBodies, type OutgoingMessage, pb, u64 } from '@tc/wire';
import { AddressBook, type PeerRecord } from './address-book.js';
import { ConnectionAdmission } from './admission/index.js';
import { ConnectionManager } from './connection-manager.js';
import { Dialer } from './dialer.js';
import { Discovery } from './discovery.js';
import { FOREIGN_PROTOCOL, FOREIGN_PROTOCOL_RULE } from './foreign-protocol.js';
import { type InboundMessage, type RouterEnv, routeFrame } from './frame-router.js';
import type { NodeIdentity } from './identity.js';
import { EventLoopLagMonitor } from './lag-monitor.js';
import { Liveness } from './liveness.js';
import { childLogger, type Logger } from './logger.js';
import { createRegistryMetrics, kindLabel, type RegistryMetrics } from './metrics.js';
import { MetricsRecorder } from './metrics-recorder.js';
import { type RegistryOptions, type ResolvedOptions, resolveOptions } from './options.js';
import { learnedPeers, sharedPeers } from './peer-exchange.js';
import { type PeerInfo, peerInfo } from './peer-info.js';
import { type Offender, PeerPolicy } from './peer-policy.js';
import {
  BanList,
  type BanRecord,
  ErrorActionTable,
  ipBanKey,
  nodeBanKey,
  PeerScoreBook,
  type PenaltyDecision,
} from './peer-score/index.js';
import type { RequestKind } from './protocol.js';
import { DEFAULT_RATE_QUOTA, DEFAULT_RATE_QUOTAS, PeerRateLimiter } from './rate-limiter/index.js';
import { ReconnectQueue } from './reconnect-queue.js';
import { RequestApi } from './request/request-api.js';
import { builtInHandlers } from './response/built-in.js';
import { type RequestHandler, ResponseDispatcher } from './response/dispatcher.js';
import type { Session, SessionHooks } from './session.js';

/** Addresses known to reach ourselves (never dialled again); oldest forgotten first. */
const MAX_SELF_ADDRESSES = 64;

/** Events of the registry. */
export interface RegistryEvents {
  /** A peer's session became live (once per session, after dedup). */
  'peer:connect': [PeerInfo];
  /** A live session ended. `reason`: e.g. "duplicate", "too-slow", "ping-timeout", "socket-closed". */
  'peer:disconnect': [{ peerId: string; reason: string; info: PeerInfo }];
  /** A one-way message (gossip, tip announcement) that passed rate limiting. */
  message: [InboundMessage];
}

/**
 * The PeerConnectionRegistry: the only owner of peer connections and the only writer to
 * sockets. Everything else talks to peers through `send`, `request`, `stream`, `broadcast`,
 * `query` and `handle`. See README.md for the handshake, the dedup rule and the error table.
 */
export class PeerConnectionRegistry extends RequestApi<RegistryEvents> {
  readonly identity: NodeIdentity;
  readonly nodeId: string;
  readonly errorActions: ErrorActionTable;
  readonly metrics: RegistryMetrics | undefined;
  protected readonly o: ResolvedOptions;
  protected readonly manager: ConnectionManager;
  private readonly dispatcher: ResponseDispatcher;
  private readonly scores: PeerScoreBook;
  private readonly banList: BanList;
  private readonly limiter: PeerRateLimiter;
  private readonly admission: ConnectionAdmission;
  private readonly lag: EventLoopLagMonitor;
  private readonly log: Logger;
  private readonly book: AddressBook;
  private readonly dialer: Dialer;
  private readonly reconnect: ReconnectQueue;
  private readonly discovery: Discovery | undefined;
  private readonly liveness: Liveness;
  private readonly selfAddresses = new Set<string>();
  private readonly userHandled = new Set<RequestKind>();
  private readonly recorder: MetricsRecorder | undefined;
  private readonly policy: PeerPolicy;
  private server: Server | undefined;
  private listenPort = 0;
  private listenHost = '';
  private state: 'new' | 'starting' | 'started' | 'stopping' | 'stopped' = 'new';

  constructor(private readonly options: RegistryOptions) {
    super();
    this.o = resolveOptions(options);
    const limits = this.o.limits;
    this.identity = options.identity;
    this.nodeId = options.identity.nodeId;
    this.log = childLogger(this.o.logger, { module: 'registry', node: this.nodeId.slice(0, 12) });
    this.metrics = options.metricsRegistry ? createRegistryMetrics(options.metricsRegistry) : undefined;
    this.recorder = this.metrics ? new MetricsRecorder(this.metrics) : undefined;
    this.errorActions = new ErrorActionTable({
      [FOREIGN_PROTOCOL]: FOREIGN_PROTOCOL_RULE,
      ...options.errorActions,
    });
    this.scores = new PeerScoreBook(options.scoring);
    this.banList = new BanList({
      ...(options.banStore ? { store: options.banStore } : {}),
      onError: (e) => this.log.warn({ err: String(e) }, 'ban store failed'),
    });
    this.limiter = new PeerRateLimiter({
      quotas: { ...DEFAULT_RATE_QUOTAS, ...options.rateQuotas },
      defaultQuota: options.defaultRateQuota ?? DEFAULT_RATE_QUOTA,
      ...(options.globalRateQuota ? { globalQuota: options.globalRateQuota } : {}),
    });
    this.admission = new ConnectionAdmission(options.admission, {
      isBanned: (ip) => this.banList.isBanned(ipBanKey(ip)),
      exemptLoopback: options.exemptLoopback === true,
    });
    this.lag = new EventLoopLagMonitor(
      options.lagThresholdMs !== undefined ? { lagThresholdMs: options.lagThresholdMs } : {},
    );
    this.policy = new PeerPolicy({
      table: this.errorActions,
      scores: this.scores,
      bans: this.banList,
      lag: this.lag,
      metrics: this.metrics,
      logger: this.log,
      closePeer: (peerId, reason, wireReason) => {
        const s = this.manager.table.get(peerId) ?? this.manager.table.getParked(peerId);
        if (s) this.manager.endSession(s, reason, wireReason);
      },
    });
    this.book = new AddressBook({
      maxEntries: limits.addressBookMax,
      ...(options.addressBookStore ? { store: options.addressBookStore } : {}),
      onError: (e) => this.log.warn({ err: String(e) }, 'address book store failed'),
    });
    this.dispatcher = new ResponseDispatcher({
      wireLimits: this.o.wireLimits,
      maxInflightInbound: limits.maxInflightInboundPerPeer,
      rateCheck: (peerId, kind, cost) => this.limiter.check(peerId, kind, cost),
      penalize: (s, code, detail) => void this.penalizeSession(s, code, detail),
      rateLimited: (kind) => this.metrics?.rateLimited.inc({ kind: kindLabel(kind) }),
      signalOf: (s) => s.lifetime.signal,
    });
    for (const [kind, handler] of builtInHandlers(this)) this.dispatcher.handle(kind, handler, true);
    this.liveness = new Liveness({
      intervalMs: limits.pingIntervalMs,
      maxMissedPongs: limits.maxMissedPongs,
      excused: (startMs) => this.lag.excusesTimeout(this.lag.now() - (Date.now() - startMs)),
      onDead: (s) => void this.penalizeSession(s, 'PING_TIMEOUT', `${limits.maxMissedPongs} pongs missed`),
      onRtt: (s, ms) => {
        s.sampleRtt(ms);
        this.metrics?.rttSeconds.observe(ms / 1000);
      },
    });
    const hooks: SessionHooks = {
      requestDone: (s, kind, outcome, startMs, charged) => {
        this.recorder?.request(kind, outcome, startMs);
        if (outcome === 'timeout' && charged && kind !== 'ping') {
          this.penalizeSession(s, 'REQUEST_TIMEOUT', kind, this.lag.now() - (Date.now() - startMs));
        }
      },
      badResponse: (s, code, detail) => void this.penalizeSession(s, code, detail),
    };
    this.manager = new ConnectionManager({
      options: this.o,
      handshake: {
        identity: options.identity,
        networkId: options.networkId,
        genesisHash: options.genesisHash,
        protocolVersion: this.o.protocolVersion,
        minProtocolVersion: this.o.minProtocolVersion,
        agent: this.o.agent,
        listenPort: () => this.listenPort,
        getLocalTip: this.o.getLocalTip,
        isBanned: (nodeId) => this.banList.isBanned(nodeBanKey(nodeId)),
      },
      admission: this.admission,
      metrics: this.metrics,
      logger: this.log,
      sessionHooks: hooks,
      penalize: (target, code, detail) => void this.policy.penalize(target, code, detail),
      onActive: (s) => this.onActive(s),
      onEnded: (s, reason, wasActive) => this.onEnded(s, reason, wasActive),
      onFrame: (s, frame) => routeFrame(this.routerEnv, s, frame),
      onSelfAddress: (address) => {
        if (this.selfAddresses.size >= MAX_SELF_ADDRESSES) {
          const oldest = this.selfAddresses.values().next();
          if (!oldest.done) this.selfAddresses.delete(oldest.value);
        }
        this.selfAddresses.add(address);
        this.book.remove(address);
        this.reconnect.remove(address);
      },
    });
    this.dialer = new Dialer({
      manager: this.manager,
      admission: this.admission,
      book: this.book,
      metrics: this.metrics,
      dialTimeoutMs: limits.dialTimeoutMs,
      maxPendingDials: limits.maxPendingDials,
      dedupHoldMs: Math.min(limits.dedupHoldMs, limits.handshakeTimeoutMs),
      isStarted: () => this.state === 'started',
      isSelf: (address) => this.selfAddresses.has(address),
      sessionAt: (address) => this.sessionAt(address),
    });
    this.reconnect = new ReconnectQueue({
      baseMs: limits.reconnectBaseMs,
      maxMs: limits.reconnectMaxMs,
      stableMs: limits.reconnectStableMs,
      dial: (address) => this.dial(address),
      isConnected: (address) => this.sessionAt(address) !== undefined,
    });
    this.discovery =
      options.discovery === false
        ? undefined
        : new Discovery({
            intervalMs: limits.discoveryIntervalMs,
            outboundTarget: limits.outboundTarget,
            addressBook: this.book,
            logger: this.log,
            connectedPeers: () => [...this.manager.table.values()].map((s) => s.peerId),
            outboundCount: () => {
              const c = this.admission.counts();
              return c.outbound + c.pendingOutbound; // established + dials in progress
            },
            skip: (address, nodeId) =>
              this.selfAddresses.has(address) ||
              this.dialer.isDialling(address) ||
              this.sessionAt(address) !== undefined ||
              (nodeId !== undefined &&
                (nodeId === this.nodeId ||
                  this.manager.table.get(nodeId) !== undefined ||
                  this.banList.isBanned(nodeBanKey(nodeId)))),
            requestPeers: (peerId) => this.requestPeers(peerId),
            dial: (address) => this.dial(address),
          });
  }

  private readonly routerEnv: RouterEnv = {
    dispatch: (s, frame) => this.dispatcher.dispatch(s, frame),
    rateCheck: (peerId, kind, cost) => this.limiter.check(peerId, kind, cost),
    rateLimited: (kind) => this.metrics?.rateLimited.inc({ kind: kindLabel(kind) }),
    penalize: (s, code, detail) => void this.penalizeSession(s, code, detail),
    remoteDisconnect: (s, reason) => this.manager.endSession(s, `remote:${reason}`, undefined, true),
    emitMessage: (msg) => this.safeEmit('message', msg),
    countIn: (kind) => this.countMessage('in', kind),
  };

  // ------------------------------------------------------------------ lifecycle

  /** Loads persisted bans and addresses, listens (unless `listen: false`), dials persistent peers. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`registry cannot start from state ${this.state}`);
    this.state = 'starting';
    await this.banList.load().catch((e) => this.log.warn({ err: String(e) }, 'loading bans failed'));
    await this.book.load().catch((e) => this.log.warn({ err: String(e) }, 'loading addresses failed'));
    if (this.options.listen !== false) {
      const host = this.options.listen?.host ?? '0.0.0.0';
      const server = createServer((socket) => this.dialer.accept(socket));
      this.server = server;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.options.listen ? (this.options.listen.port ?? 0) : 0, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      server.on('error', (e) => this.log.error({ err: e.message }, 'server error'));
      const address = server.address();
      if (address && typeof address === 'object') {
        this.listenPort = address.port;
        this.listenHost = address.address;
      }
    }
    this.lag.start();
    this.recorder?.start(() => this.manager.table.values());
    this.metrics?.bindSources({
      peerScores: () => [...this.manager.table.values()].map((s) => this.scores.score(s.peerId)),
      banListEntries: () => this.banList.size(),
      eventLoopLagMs: () => this.lag.lagSince(this.lag.now() - 10_000),
    });
    this.state = 'started';
    for (const address of this.options.persistentPeers ?? []) {
      this.book.add(address);
      this.reconnect.add(address);
    }
    this.discovery?.start();
  }

  /**
   * Sends Disconnect{SHUTDOWN} to every peer, stops accepting and dialling, and resolves
   * once every socket is closed (each close bounded by closeTimeoutMs). Clears every timer.
   */
  async stop(): Promise<void> {
    if (this.state === 'stopped' || this.state === 'stopping') return;
    this.state = 'stopping';
    this.discovery?.stop();
    this.reconnect.stop();
    const serverClosed = this.server
      ? new Promise<void>((resolve) => this.server!.close(() => resolve()))
      : Promise.resolve();
    const sessions = [...this.manager.table.values(), ...this.manager.table.parkedValues()];
    const closing = this.manager
      .openConnections()
      .map(
        (c) =>
          new Promise<void>((resolve) => (c.closed ? resolve() : c.socket.once('close', () => resolve()))),
      );
    this.manager.abortAttempts();
    for (const s of sessions)
      this.manager.endSession(s, 'shutdown', pb.DisconnectReason.DISCONNECT_REASON_SHUTDOWN);
    await Promise.all(closing);
    await serverClosed;
    this.lag.stop();
    this.recorder?.stop();
    this.metrics?.bindSources({});
    this.state = 'stopped';
  }

  /** The address we listen on, once started (port 0 resolved). */
  address(): { host: string; port: number } | undefined {
    return this.server ? { host: this.listenHost, port: this.listenPort } : undefined;
  }

  // ------------------------------------------------------------------ connections

  /**
   * Connects to `address` ("host:port") and resolves with the peer's info once a session to
   * it is live (possibly a session that already existed or won the dedup). Dials to the same
   * address join; the TCP connect is bounded by dialTimeoutMs, the handshake by its deadline.
   */
  async dial(address: string, opts: { signal?: AbortSignal } = {}): Promise<PeerInfo> {
    return this.info(await this.dialer.dial(address, opts.signal));
  }

  private onActive(session: Session): void {
    this.liveness.start(session);
    // Below the outbound target, a new peer is a new source of addresses: ask now, not in 30 s.
    if (this.discovery && this.admission.counts().outbound < this.o.limits.outboundTarget) {
      void this.discovery.tick();
    }
    if (session.dialable) this.book.markSeen(session.address, session.peerId);
    if (this.reconnect.has(session.address)) this.reconnect.connected(session.address);
    this.log.debug({ peer: session.peerId.slice(0, 12), dir: session.direction }, 'peer connected');
    this.safeEmit('peer:connect', this.info(session));
  }

  private onEnded(session: Session, reason: string, wasActive: boolean): void {
    this.liveness.stop(session);
    session.lifetime.abort();
    session.failAll(reason);
    if (!wasActive) return;
    if (!this.manager.table.get(session.peerId)) this.scores.forget(session.peerId);
    this.log.debug({ peer: session.peerId.slice(0, 12), reason }, 'peer disconnected');
    this.safeEmit('peer:disconnect', { peerId: session.peerId, reason, info: this.info(session) });
    if (
      this.state === 'started' &&
      this.reconnect.has(session.address) &&
      !this.manager.table.get(session.peerId)
    ) {
      this.reconnect.lost(session.address);
    }
  }

  /** Closes the session with `peerId` (Disconnect{REQUESTED}). Returns false if not connected. */
  disconnect(peerId: string, reason = 'requested'): boolean {
    const s = this.manager.table.get(peerId);
    if (!s) return false;
    this.manager.endSession(s, reason, pb.DisconnectReason.DISCONNECT_REASON_REQUESTED);
    return true;
  }

  // ------------------------------------------------------------------ peers, bans, errors

  /** Per-peer info of every live session. */
  peers(): PeerInfo[] {
    return [...this.manager.table.values()].map((s) => this.info(s));
  }

  peer(peerId: string): PeerInfo | undefined {
    const s = this.manager.table.get(peerId);
    return s ? this.info(s) : undefined;
  }

  protected info(s: Session): PeerInfo {
    return peerInfo(s, this.scores.score(s.peerId));
  }

  /**
   * Reports an error caused by a peer (e.g. INVALID_BLOCK from consensus). The one path from
   * an error to a peer action: ErrorActionTable → score → disconnect or ban.
   */
  reportPeer(peerId: string, code: string, detail = ''): PenaltyDecision {
    const s = this.manager.table.get(peerId);
    return this.policy.penalize({ peerId, ip: s?.connection.remoteAddress ?? '' }, code, detail);
  }

  /** Bans a node id for `durationMs` and closes its session. */
  ban(peerId: string, durationMs: number, reason: string): void {
    this.policy.ban(peerId, durationMs, reason);
  }

  unban(key: string): void {
    this.banList.unban(key.includes(':') ? key : nodeBanKey(key));
  }

  /** Bans in force ('node:<hex>' and 'ip:<addr>' keys). */
  bans(): BanRecord[] {
    return this.banList.list();
  }

  /** The peer's current (decayed) score. */
  score(peerId: string): number {
    return this.scores.score(peerId);
  }

  /** Known addresses (the bounded address book). */
  addresses(): PeerRecord[] {
    return this.book.list();
  }

  addAddress(address: string, nodeId?: string): boolean {
    return this.book.add(address, nodeId ? { nodeId } : {});
  }

  /** Runs one discovery round now (normally on a timer). */
  discover(): Promise<void> {
    return this.discovery?.tick() ?? Promise.resolve();
  }

  /**
   * Registers the handler of a request kind; its return value is the response and a thrown
   * HandlerError becomes an ErrorReply. One handler per kind (ping/getPeers/getChainTip
   * have defaults that a first `handle` replaces).
   */
  handle<K extends RequestKind>(kind: K, handler: RequestHandler<K>): void {
    if (this.userHandled.has(kind)) throw new Error(`a handler for ${kind} is already registered`);
    this.userHandled.add(kind);
    this.dispatcher.handle(kind, handler, true);
  }

  private penalizeSession(
    s: Session,
    code: string,
    detail: string,
    timeoutStartedAt?: number,
  ): PenaltyDecision {
    const offender: Offender = { peerId: s.peerId, ip: s.connection.remoteAddress };
    return this.policy.penalize(offender, code, detail, timeoutStartedAt);
  }

  // ------------------------------------------------------------------ internals for the API

  protected session(peerId: string): Session | undefined {
    const s = this.manager.table.get(peerId);
    return s?.open ? s : undefined;
  }

  protected liveSessions(): Session[] {
    return [...this.manager.table.values()].filter((s) => s.open);
  }

  protected get streamBufferChunks(): number {
    return this.o.limits.streamBufferChunks;
  }

  protected countMessage(direction: 'in' | 'out', kind: string, n = 1): void {
    this.recorder?.message(direction, kind, n);
  }

  /** Emits an event; a throwing listener is logged, never allowed into the socket path. */
  private safeEmit<E extends keyof RegistryEvents>(event: E, ...args: RegistryEvents[E]): void {
    try {
      (this.emit as (e: E, ...a: RegistryEvents[E]) => boolean)(event, ...args);
    } catch (error) {
      this.log.error(
        { event, err: error instanceof Error ? error.message : String(error) },
        'listener threw',
      );
    }
  }

  private sessionAt(address: string): Session | undefined {
    for (const s of this.manager.table.values()) if (s.address === address) return s;
    return undefined;
  }

  private async requestPeers(peerId: string): Promise<Array<[string, string | undefined, number]>> {
    return learnedPeers(await this.request(peerId, { kind: 'getPeers', body: { max: 32 } }));
  }

  /** Addresses we share in answer to getPeers (built-in handler). */
  sharedPeers(max: number, except: string): KindBodies['peers']['peers'] {
    return sharedPeers(this.manager.table.values(), this.book, max, except);
  }

  /** Our chain tip as sent in Hello and getChainTip answers. */
  localTip(): { height: ReturnType<typeof u64>; hash: Uint8Array } {
    const tip = this.o.getLocalTip();
    return { height: u64(tip.height), hash: tip.hash };
  }

  protected encode(msg: OutgoingMessage): Uint8Array {
    return encodeFrame(msg, this.o.wireLimits);
  }

  protected get requestTimeoutMs(): number {
    return this.o.limits.requestTimeoutMs;
  }
}
