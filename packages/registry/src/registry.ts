import { connect, createServer, type Server, type Socket } from 'node:net';
import { encodeFrame, type KindBodies, type OutgoingMessage, pb, u64 } from '@tc/wire';
import { formatAddress, parseAddress } from './address.js';
import { AddressBook, type PeerRecord } from './address-book.js';
import { ConnectionAdmission } from './admission/index.js';
import { normaliseIp } from './connection.js';
import { ConnectionManager } from './connection-manager.js';
import { DialQueue } from './dial-queue.js';
import { disconnectReasonFor, reasonName } from './disconnect-reason.js';
import { Discovery } from './discovery.js';
import { DialError } from './errors.js';
import { type InboundMessage, routeFrame } from './frame-router.js';
import type { NodeIdentity } from './identity.js';
import { EventLoopLagMonitor } from './lag-monitor.js';
import { Liveness } from './liveness.js';
import { childLogger, type Logger } from './logger.js';
import { createRegistryMetrics, kindLabel, type RegistryMetrics } from './metrics.js';
import { type RegistryOptions, type ResolvedOptions, resolveOptions } from './options.js';
import { type PeerInfo, peerInfo } from './peer-info.js';
import {
  BanList,
  type BanRecord,
  ErrorActionTable,
  ipBanKey,
  nodeBanKey,
  PeerScoreBook,
  type PenaltyDecision,
  penalizePeer,
} from './peer-score/index.js';
import type { RequestKind } from './protocol.js';
import { DEFAULT_RATE_QUOTA, DEFAULT_RATE_QUOTAS, PeerRateLimiter } from './rate-limiter/index.js';
import { ReconnectQueue } from './reconnect-queue.js';
import { RequestApi } from './request/request-api.js';
import { builtInHandlers } from './response/built-in.js';
import { type RequestHandler, ResponseDispatcher } from './response/dispatcher.js';
import type { Session, SessionHooks } from './session.js';

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
  private readonly dials: DialQueue<Session>;
  private readonly reconnect: ReconnectQueue;
  private readonly discovery: Discovery | undefined;
  private readonly liveness: Liveness;
  private readonly selfAddresses = new Set<string>();
  private readonly userHandled = new Set<RequestKind>();
  private readonly msgCounters = new Map<string, { inc(): void }>();
  /** Label children cached per kind/outcome: no label hashing per request on the hot path. */
  private readonly requestChildren = new Map<string, { inc(): void }>();
  private readonly durationChildren = new Map<string, { observe(v: number): void }>();
  private server: Server | undefined;
  private sampler: NodeJS.Timeout | undefined;
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
    this.errorActions = new ErrorActionTable(options.errorActions);
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
      requestDone: (s, kind, outcome, startMs) => {
        if (this.metrics) this.observeRequest(kind, outcome, startMs);
        if (outcome === 'timeout' && kind !== 'ping') {
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
      penalize: (target, code, detail) => void this.penalize(target, code, detail),
      onActive: (s) => this.onActive(s),
      onEnded: (s, reason, wasActive) => this.onEnded(s, reason, wasActive),
      onFrame: (s, frame) => routeFrame(this.routerEnv, s, frame),
      onSelfAddress: (address) => {
        this.selfAddresses.add(address);
        this.book.remove(address);
        this.reconnect.remove(address);
      },
    });
    this.dials = new DialQueue(limits.maxPendingDials, (address) => this.dialOnce(address));
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
            outboundCount: () => this.admission.counts().outbound + this.dials.size,
            skip: (address, nodeId) =>
              this.selfAddresses.has(address) ||
              this.dials.has(address) ||
              this.sessionAt(address) !== undefined ||
              (nodeId !== undefined &&
                (nodeId === this.nodeId ||
                  this.manager.table.get(nodeId) !== undefined ||
                  this.banList.isBanned(nodeBanKey(nodeId)))),
            requestPeers: (peerId) => this.requestPeers(peerId),
            dial: (address) => this.dial(address),
          });
  }

  private readonly routerEnv = {
    dispatcher: undefined as unknown as ResponseDispatcher,
    rateCheck: (peerId: string, kind: string, cost: number) => this.limiter.check(peerId, kind, cost),
    rateLimited: (kind: string) => this.metrics?.rateLimited.inc({ kind: kindLabel(kind) }),
    penalize: (s: Session, code: string, detail: string) => void this.penalizeSession(s, code, detail),
    remoteDisconnect: (s: Session, reason: string) =>
      this.manager.endSession(s, `remote:${reason}`, undefined, true),
    emitMessage: (msg: InboundMessage) => this.safeEmit('message', msg),
    countIn: (kind: string) => this.countMessage('in', kind),
  };

  // ------------------------------------------------------------------ lifecycle

  /** Loads persisted bans and addresses, listens (unless `listen: false`), dials persistent peers. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`registry cannot start from state ${this.state}`);
    this.state = 'starting';
    (this.routerEnv as { dispatcher: ResponseDispatcher }).dispatcher = this.dispatcher;
    await this.banList.load().catch((e) => this.log.warn({ err: String(e) }, 'loading bans failed'));
    await this.book.load().catch((e) => this.log.warn({ err: String(e) }, 'loading addresses failed'));
    if (this.options.listen !== false) {
      const host = this.options.listen?.host ?? '0.0.0.0';
      const server = createServer((socket) => this.onInbound(socket));
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
    if (this.metrics) {
      this.sampler = setInterval(() => this.sampleGauges(), 1_000);
      this.sampler.unref();
    }
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
    if (this.sampler) clearInterval(this.sampler);
    this.sampler = undefined;
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
    if (this.state !== 'started') throw new DialError('REGISTRY_STOPPED', address, 'registry not started');
    parseAddressOrThrow(address);
    if (this.selfAddresses.has(address)) throw new DialError('DIAL_REFUSED', address, 'that address is us');
    const existing = this.sessionAt(address);
    if (existing) return this.info(existing);
    const { promise, joined } = this.dials.dial(address);
    if (joined) this.metrics?.dials.inc({ outcome: 'joined' });
    const session = await abortable(promise, opts.signal, () => {
      this.metrics?.dials.inc({ outcome: 'aborted' });
      return new DialError('DIAL_FAILED', address, 'aborted');
    });
    return this.info(session);
  }

  private async dialOnce(address: string): Promise<Session> {
    const { host, port } = parseAddressOrThrow(address);
    const ip = normaliseIp(host);
    const slot = this.admission.tryReserveOutbound(ip);
    if (!slot.ok) {
      this.metrics?.admissionRejections.inc({ direction: 'outbound', reason: slot.reason });
      this.metrics?.dials.inc({ outcome: 'rejected' });
      throw new DialError('DIAL_REFUSED', address, slot.reason);
    }
    const attempt = this.manager.beginDial(address, ip);
    this.metrics?.pendingDials.inc();
    try {
      const socket = await connectTcp(host, port, this.o.limits.dialTimeoutMs, address);
      if (attempt.done || this.state !== 'started') {
        socket.destroy();
        throw new DialError('REGISTRY_STOPPED', address, 'registry stopping');
      }
      const session = await this.manager.attach(attempt, socket);
      this.metrics?.dials.inc({ outcome: 'ok' });
      return session;
    } catch (error) {
      if (!attempt.conn) this.manager.abandonDial(attempt, error as Error);
      const code = error instanceof DialError ? error.code : 'DIAL_FAILED';
      this.metrics?.dials.inc({
        outcome: code === 'DIAL_TIMEOUT' ? 'timeout' : code === 'DIAL_REFUSED' ? 'refused' : 'error',
      });
      if (!this.selfAddresses.has(address)) this.book.markFailure(address);
      throw error;
    } finally {
      this.metrics?.pendingDials.dec();
    }
  }

  private onInbound(socket: Socket): void {
    socket.on('error', () => undefined);
    if (this.state !== 'started') {
      socket.destroy();
      return;
    }
    const ip = normaliseIp(socket.remoteAddress ?? '');
    const slot = this.admission.tryAcceptInbound(ip);
    if (!slot.ok) {
      this.metrics?.admissionRejections.inc({ direction: 'inbound', reason: slot.reason });
      this.metrics?.connectionEvents.inc({ direction: 'inbound', outcome: 'rejected' });
      socket.destroy();
      return;
    }
    this.manager.acceptInbound(socket);
  }

  private onActive(session: Session): void {
    this.liveness.start(session);
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
    return this.penalize({ peerId, ip: s?.connection.remoteAddress ?? '' }, code, detail);
  }

  /** Bans a node id for `durationMs` and closes its session. */
  ban(peerId: string, durationMs: number, reason: string): void {
    this.banList.ban(nodeBanKey(peerId), durationMs, reason);
    this.metrics?.bans.inc({ reason: 'manual' });
    const s = this.manager.table.get(peerId);
    if (s) this.manager.endSession(s, 'banned', pb.DisconnectReason.DISCONNECT_REASON_BANNED);
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
    return this.penalize(
      { peerId: s.peerId, ip: s.connection.remoteAddress },
      code,
      detail,
      timeoutStartedAt,
    );
  }

  private penalize(
    target: { peerId?: string | undefined; ip: string },
    code: string,
    detail: string,
    timeoutStartedAt?: number,
  ): PenaltyDecision {
    const key = target.peerId ?? `ip:${target.ip}`;
    const decision = penalizePeer(
      { table: this.errorActions, scores: this.scores, bans: this.banList, lagMonitor: this.lag },
      key,
      code,
      {
        banKeys: [target.peerId ? nodeBanKey(target.peerId) : ipBanKey(target.ip)],
        ...(timeoutStartedAt !== undefined ? { timeoutStartedAt } : {}),
      },
    );
    const codeLabel = this.errorActions.has(code) ? code : 'other';
    this.metrics?.peerActions.inc({ code: codeLabel, action: decision.action });
    if (decision.excused) this.metrics?.excusedTimeouts.inc({ code: codeLabel });
    if (decision.action === 'ban') this.metrics?.bans.inc({ reason: codeLabel });
    if (decision.action !== 'ignore') {
      this.log.debug({ peer: key.slice(0, 16), code, action: decision.action, detail }, 'peer penalized');
    }
    if ((decision.action === 'disconnect' || decision.action === 'ban') && target.peerId) {
      const s = this.manager.table.get(target.peerId) ?? this.manager.table.getParked(target.peerId);
      if (s) {
        const reason = disconnectReasonFor(code, decision.action);
        this.manager.endSession(s, reasonName(reason), reason);
      }
    }
    return decision;
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
    if (!this.metrics) return;
    const key = `${direction}:${kind}`;
    let child = this.msgCounters.get(key);
    if (!child) {
      child = this.metrics.messages.labels({ direction, kind: kindLabel(kind) });
      this.msgCounters.set(key, child);
    }
    if (n === 1) child.inc();
    else (child as unknown as { inc(n: number): void }).inc(n);
  }

  private observeRequest(kind: string, outcome: string, startMs: number): void {
    const m = this.metrics!;
    const key = `${kind}|${outcome}`;
    let counter = this.requestChildren.get(key);
    if (!counter) {
      counter = m.requests.labels({ kind: kindLabel(kind), outcome });
      this.requestChildren.set(key, counter);
    }
    counter.inc();
    if (outcome !== 'ok') return;
    let histogram = this.durationChildren.get(kind);
    if (!histogram) {
      histogram = m.requestSeconds.labels({ kind: kindLabel(kind) });
      this.durationChildren.set(kind, histogram);
    }
    histogram.observe((Date.now() - startMs) / 1000);
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

  /** Gauges that are sums over sessions, refreshed every second (not on the hot path). */
  private sampleGauges(): void {
    const m = this.metrics!;
    let queued = 0;
    let outbound = 0;
    let inbound = 0;
    for (const s of this.manager.table.values()) {
      queued += s.connection.queuedBytes;
      outbound += s.tracker.size;
      inbound += s.inboundInflight;
    }
    m.queuedBytes.set(queued);
    m.inflightRequests.set({ direction: 'outbound' }, outbound);
    m.inflightRequests.set({ direction: 'inbound' }, inbound);
  }

  private sessionAt(address: string): Session | undefined {
    for (const s of this.manager.table.values()) if (s.address === address) return s;
    return undefined;
  }

  private async requestPeers(peerId: string): Promise<Array<[string, string | undefined, number]>> {
    const peers = await this.request(peerId, { kind: 'getPeers', body: { max: 32 } });
    const out: Array<[string, string | undefined, number]> = [];
    for (const p of peers.peers.slice(0, 64)) {
      const host = p.host ?? '';
      const port = p.port ?? 0;
      if (!(port > 0 && port <= 65535) || host.length === 0 || host.length > 255) continue;
      const nodeId = p.nodeId?.length === 32 ? Buffer.from(p.nodeId).toString('hex') : undefined;
      out.push([formatAddress(host, port), nodeId, Number(p.lastSeenMs ?? 0)]);
    }
    return out;
  }

  /** Addresses we share in answer to getPeers: live dialable peers first, then the book. */
  sharedPeers(max: number, except: string): KindBodies['peers']['peers'] {
    const n = Math.min(Math.max(1, max || 32), 64);
    const out: KindBodies['peers']['peers'] = [];
    const seen = new Set<string>();
    const push = (address: string, nodeId: string | undefined, lastSeenMs: number) => {
      if (out.length >= n || seen.has(address)) return;
      seen.add(address);
      try {
        const { host, port } = parseAddress(address);
        out.push({
          host,
          port,
          nodeId: nodeId ? Buffer.from(nodeId, 'hex') : new Uint8Array(0),
          lastSeenMs: u64(Math.max(0, Math.floor(lastSeenMs))),
        } as KindBodies['peers']['peers'][number]);
      } catch {
        // not shareable
      }
    };
    for (const s of this.manager.table.values()) {
      if (s.peerId !== except && s.dialable) push(s.address, s.peerId, Date.now());
    }
    for (const r of this.book.candidates(n, (r) => r.failures > 0 || r.nodeId === except)) {
      push(r.address, r.nodeId, r.lastSeenMs);
    }
    return out;
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

function parseAddressOrThrow(address: string): { host: string; port: number } {
  try {
    return parseAddress(address);
  } catch (error) {
    throw new DialError('BAD_ADDRESS', address, (error as Error).message);
  }
}

function connectTcp(host: string, port: number, timeoutMs: number, address: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new DialError('DIAL_TIMEOUT', address, `no TCP connection within ${timeoutMs} ms`));
    }, timeoutMs);
    timer.unref();
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(new DialError('DIAL_FAILED', address, error.message, { cause: error }));
    });
  });
}

function abortable<T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined,
  onAbort: () => Error,
): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(onAbort());
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(onAbort());
    signal.addEventListener('abort', abort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', abort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', abort);
        reject(e);
      },
    );
  });
}
