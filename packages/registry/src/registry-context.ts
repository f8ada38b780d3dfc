import type { KindBodies } from '@tc/wire';
import { u64 } from '@tc/wire';
import { AddressBook } from './address-book.js';
import { ConnectionAdmission } from './admission/index.js';
import { ConnectionManager } from './connect/connection-manager.js';
import { Dialer } from './connect/dialer.js';
import { ReconnectQueue } from './connect/reconnect-queue.js';
import { Discovery } from './discovery.js';
import { ERROR_REPLY_CODES } from './errors.js';
import { FOREIGN_PROTOCOL, FOREIGN_PROTOCOL_RULE } from './foreign-protocol.js';
import { type RouterEnv, routeFrame } from './frame-router.js';
import { EventLoopLagMonitor } from './lag-monitor.js';
import { Liveness } from './liveness.js';
import { childLogger, type Logger } from './logger.js';
import { createRegistryMetrics, kindLabel, type RegistryMetrics } from './metrics.js';
import { MetricsRecorder } from './metrics-recorder.js';
import { type RegistryOptions, type ResolvedOptions, resolveOptions } from './options.js';
import { learnedPeers, MAX_SHARED_PEERS, SharedPeerList, sharedPeers } from './peer-exchange.js';
import { type PeerInfo, peerInfo } from './peer-info.js';
import { type Offender, PeerPolicy } from './peer-policy.js';
import {
  BanList,
  ErrorActionTable,
  ipBanKey,
  nodeBanKey,
  PeerScoreBook,
  type PenaltyDecision,
} from './peer-score/index.js';
import { DEFAULT_RATE_QUOTA, DEFAULT_RATE_QUOTAS, PeerRateLimiter } from './rate-limiter/index.js';
import {
  type RegistryEvents,
  type RegistryHost,
  type RegistryState,
  sessionBecameLive,
  sessionEnded,
} from './registry-events.js';
import { builtInHandlers } from './response/built-in.js';
import { ResponseDispatcher } from './response/dispatcher.js';
import type { Session, SessionHooks } from './session.js';

/** Addresses known to reach ourselves (never dialled again); oldest forgotten first. */
const MAX_SELF_ADDRESSES = 64;

/**
 * Every component of a PeerConnectionRegistry and the wiring between them: policy (error
 * table, scores, bans, rate limits, admission, lag), connections (manager, dialer, liveness,
 * reconnection, discovery, address book), request dispatch and metrics, plus what happens
 * when a session becomes live or ends. The registry class is the public face over it.
 */
export class RegistryContext {
  /** The options with every default filled in. */
  readonly options: ResolvedOptions;
  readonly nodeId: string;
  readonly errorActions: ErrorActionTable;
  readonly metrics: RegistryMetrics | undefined;
  readonly manager: ConnectionManager;
  readonly dispatcher: ResponseDispatcher;
  readonly scores: PeerScoreBook;
  readonly banList: BanList;
  readonly limiter: PeerRateLimiter;
  readonly admission: ConnectionAdmission;
  readonly lag: EventLoopLagMonitor;
  readonly log: Logger;
  readonly book: AddressBook;
  readonly dialer: Dialer;
  readonly reconnect: ReconnectQueue;
  readonly discovery: Discovery | undefined;
  readonly liveness: Liveness;
  readonly selfAddresses = new Set<string>();
  readonly recorder: MetricsRecorder | undefined;
  readonly policy: PeerPolicy;
  private readonly peerList: SharedPeerList;
  state: RegistryState = 'new';
  private readonly genesisHash: Uint8Array;

  constructor(
    options: RegistryOptions,
    private readonly host: RegistryHost,
  ) {
    this.options = resolveOptions(options);
    this.genesisHash = options.genesisHash;
    const limits = this.options.limits;
    this.nodeId = options.identity.nodeId;
    this.log = childLogger(this.options.logger, { module: 'registry', node: this.nodeId.slice(0, 12) });
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
      wireLimits: this.options.wireLimits,
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
      options: this.options,
      handshake: {
        identity: options.identity,
        networkId: options.networkId,
        genesisHash: options.genesisHash,
        protocolVersion: this.options.protocolVersion,
        minProtocolVersion: this.options.minProtocolVersion,
        agent: this.options.agent,
        listenPort: () => this.host.listenPort(),
        getLocalTip: this.options.getLocalTip,
        isBanned: (nodeId, genesisHash) => this.isBannedAtHello(nodeId, genesisHash),
      },
      admission: this.admission,
      metrics: this.metrics,
      logger: this.log,
      sessionHooks: hooks,
      penalize: (target, code, detail) => void this.policy.penalize(target, code, detail),
      onActive: (s) => sessionBecameLive(this, s),
      onEnded: (s, reason, wasActive) => sessionEnded(this, s, reason, wasActive),
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
    this.peerList = new SharedPeerList(
      () => sharedPeers(this.manager.table.values(), this.book, MAX_SHARED_PEERS, ''),
      limits.peerListCacheMs,
    );
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
            minIntervalMs: limits.discoveryMinIntervalMs,
            redialBaseMs: limits.reconnectBaseMs,
            redialMaxMs: limits.reconnectMaxMs,
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
    unsupported: (s, id, detail) => this.dispatcher.replyError(s, id, ERROR_REPLY_CODES.UNSUPPORTED, detail),
    cancelInbound: (s, id) => this.dispatcher.cancel(s, id),
  };

  info(s: Session): PeerInfo {
    return peerInfo(s, this.scores.score(s.peerId));
  }

  async dial(address: string, signal?: AbortSignal): Promise<PeerInfo> {
    return this.info(await this.dialer.dial(address, signal));
  }

  penalizeSession(s: Session, code: string, detail: string, timeoutStartedAt?: number): PenaltyDecision {
    const offender: Offender = { peerId: s.peerId, ip: s.connection.remoteAddress };
    return this.policy.penalize(offender, code, detail, timeoutStartedAt);
  }

  countMessage(direction: 'in' | 'out', kind: string, n = 1): void {
    this.recorder?.message(direction, kind, n);
  }

  /** Emits an event; a throwing listener is logged, never allowed into the socket path. */
  safeEmit<E extends keyof RegistryEvents>(event: E, ...args: RegistryEvents[E]): void {
    try {
      this.host.emit(event, ...args);
    } catch (error) {
      this.log.error(
        { event, err: error instanceof Error ? error.message : String(error) },
        'listener threw',
      );
    }
  }

  sessionAt(address: string): Session | undefined {
    for (const s of this.manager.table.values()) if (s.address === address) return s;
    return undefined;
  }

  private async requestPeers(peerId: string): Promise<Array<[string, string | undefined, number]>> {
    return learnedPeers(await this.host.getPeers(peerId));
  }

  /** Addresses we share in answer to getPeers (built-in handler), from a cached list. */
  sharedPeers(max: number, except: string): KindBodies['peers']['peers'] {
    return this.peerList.answer(max, except);
  }

  /** Our chain tip as sent in Hello and getChainTip answers. */
  localTip(): { height: ReturnType<typeof u64>; hash: Uint8Array } {
    const tip = this.options.getLocalTip();
    return { height: u64(tip.height), hash: tip.hash };
  }

  /** A node id's ban at its Hello; a wrong-genesis ban ends once it names our genesis. */
  private isBannedAtHello(nodeId: string, genesisHash: Uint8Array): boolean {
    const key = nodeBanKey(nodeId);
    const reason = this.banList.reasonOf(key);
    if (reason === undefined) return false;
    if (reason !== 'WRONG_GENESIS' || !Buffer.from(genesisHash).equals(Buffer.from(this.genesisHash)))
      return true;
    this.banList.unban(key);
    this.log.info({ peer: nodeId.slice(0, 16) }, 'wrong-genesis ban lifted: the peer now names our genesis');
    return false;
  }
}
