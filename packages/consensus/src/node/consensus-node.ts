import { EventEmitter } from 'node:events';
import {
  type InboundMessage,
  type Logger,
  PeerConnectionRegistry,
  type PenaltyDecision,
  silentLogger,
} from '@tc/registry';
import { type ChainStore, openChainStore } from '@tc/storage';
import { type tc, u64ToBigInt } from '@tc/wire';
import { toHex } from '../bytes.js';
import { FORK_SYNC_ERROR_ACTIONS } from '../chain/chain-errors.js';
import { ChainManager } from '../chain/chain-manager.js';
import { type ExtendSync, type ForkCheckResult, ForkWatcher } from '../chain/fork-watcher.js';
import { CONSENSUS_ERROR_ACTIONS } from '../errors.js';
import { FINALITY_ERROR_ACTIONS } from '../finality/finality-errors.js';
import { registerFinalityMetrics } from '../finality/finality-metrics.js';
import { FinalityService } from '../finality/finality-service.js';
import { type GenesisConfig, genesisHash } from '../genesis.js';
import { Mempool, type MempoolAddResult } from '../mempool.js';
import { MEMPOOL_ERROR_ACTIONS } from '../mempool-errors.js';
import { type StatelessValidator, ValidationPool } from '../pool.js';
import { defaultPoolThreads } from '../pool-defaults.js';
import { maxPlausibleHeight } from '../schedule.js';
import { RangeSync } from '../sync/range-sync.js';
import type { SyncProgress } from '../sync/sync-types.js';
import { AcceptedTxs } from './accepted-txs.js';
import { Gossip } from './gossip.js';
import { DEFAULT_HANDLER_LIMITS, registerChainHandlers } from './handlers.js';
import { type NodeMetrics, registerNodeMetrics } from './node-metrics.js';
import type { ConsensusNodeEvents, ConsensusNodeOptions, ConsensusNodeStatus } from './node-types.js';

export type { ConsensusNodeEvents, ConsensusNodeOptions, ConsensusNodeStatus } from './node-types.js';

import { rangeSyncExtender, withTimeout } from './node-util.js';
import { ProductionLoop } from './production-loop.js';
import { capacityRateQuotas } from './rate-quotas.js';

export { capacityRateQuotas, slotRateQuotas } from './rate-quotas.js';

/**
 * One tc node's consensus half: registry + storage + pool + mempool + chain manager + producer
 * + fork watcher/sync, wired together. `ConsensusNode.create(options)` opens the store; then
 * `start()` listens, dials, registers handlers and starts production and fork checks.
 */
export class ConsensusNode extends EventEmitter<ConsensusNodeEvents> {
  readonly genesis: GenesisConfig;
  readonly store: ChainStore;
  readonly registry: PeerConnectionRegistry;
  readonly chain: ChainManager;
  readonly mempool: Mempool;
  readonly validator: StatelessValidator;
  readonly forks: ForkWatcher;
  readonly gossip: Gossip;
  readonly producer: ProductionLoop | undefined;
  /** Transactions submitted here, kept in the store until they leave the mempool. */
  readonly accepted: AcceptedTxs;
  /** Votes, certificates, the finalized block and evidence (README 15). */
  readonly finality: FinalityService;
  /** The default extension sync (undefined when `sync` replaced it). */
  readonly rangeSync: RangeSync | undefined;
  private readonly ownsStore: boolean;
  private readonly ownsValidator: boolean;
  private readonly log: Logger;
  private readonly forkCheckIntervalMs: number;
  private readonly closeTimeoutMs: number;
  private forkTimer: NodeJS.Timeout | undefined;
  private state: 'new' | 'started' | 'stopping' | 'stopped' = 'new';
  private reorgs = 0;
  private lastReorg: ConsensusNodeStatus['lastReorg'];
  private stopping: Promise<void> | undefined;
  private syncProgress: SyncProgress | undefined;
  private lastSyncBlockAtMs = Number.NEGATIVE_INFINITY;
  private readonly now: () => number;
  private readonly metrics: NodeMetrics | undefined;

  /** Opens the store at `dataDir` (unless `store` is given) and builds the node (not started). */
  static async create(options: ConsensusNodeOptions): Promise<ConsensusNode> {
    if (!options.store && !options.dataDir) throw new RangeError('ConsensusNode needs dataDir or store');
    const store =
      options.store ??
      (await openChainStore({
        path: options.dataDir!,
        networkId: options.genesis.networkId,
        genesisHash: genesisHash(options.genesis),
      }));
    const pool = options.validator
      ? undefined
      : new ValidationPool({
          threads: options.poolThreads ?? defaultPoolThreads(),
          ...(options.metricsRegistry ? { registry: options.metricsRegistry } : {}),
        });
    try {
      return new ConsensusNode(options, store, !options.store, pool);
    } catch (error) {
      await pool?.destroy();
      if (!options.store) await store.close();
      throw error;
    }
  }

  private constructor(
    options: ConsensusNodeOptions,
    store: ChainStore,
    ownsStore: boolean,
    ownPool: ValidationPool | undefined,
  ) {
    super();
    const { genesis } = options;
    this.genesis = genesis;
    this.store = store;
    this.ownsStore = ownsStore;
    this.log = options.logger ?? silentLogger;
    this.closeTimeoutMs = options.closeTimeoutMs ?? 5_000;
    this.now = options.now ?? Date.now;
    this.forkCheckIntervalMs = options.forkCheckIntervalMs ?? Math.max(1_000, 5 * genesis.slotMs);
    this.ownsValidator = ownPool !== undefined;
    this.validator = options.validator ?? ownPool!;
    this.mempool = new Mempool({
      ...options.mempool,
      ...(options.metricsRegistry ? { registry: options.metricsRegistry } : {}),
    });
    this.chain = new ChainManager({
      store,
      genesis,
      validator: this.validator,
      mempool: this.mempool,
      ...(options.maxReorgDepth !== undefined ? { maxReorgDepth: options.maxReorgDepth } : {}),
      ...(options.now ? { now: options.now } : {}),
    });
    const extra = options.registryOptions ?? {};
    this.registry = new PeerConnectionRegistry({
      ...extra,
      identity: options.identity,
      networkId: genesis.networkId,
      genesisHash: genesisHash(genesis),
      getLocalTip: () => this.chain.tip(),
      // Inbound quotas sized from the chain's capacity (block and transaction kinds), so honest
      // relay at full blocks never meets one. The caller's rateQuotas still win.
      rateQuotas: { ...capacityRateQuotas(genesis), ...extra.rateQuotas },
      errorActions: {
        ...CONSENSUS_ERROR_ACTIONS,
        ...MEMPOOL_ERROR_ACTIONS,
        ...FORK_SYNC_ERROR_ACTIONS,
        ...FINALITY_ERROR_ACTIONS,
        ...extra.errorActions,
      },
      banStore: extra.banStore ?? store,
      addressBookStore: extra.addressBookStore ?? store,
      ...(options.listen !== undefined ? { listen: options.listen } : {}),
      ...(options.persistentPeers ? { persistentPeers: options.persistentPeers } : {}),
      ...(options.metricsRegistry ? { metricsRegistry: options.metricsRegistry } : {}),
      logger: this.log,
    });
    const onPeerFault = (peerId: string, code: string) => this.reportPeer(peerId, code);
    this.finality = new FinalityService({
      genesis,
      store,
      chain: this.chain,
      registry: this.registry,
      validator: this.validator,
      ...(options.validatorKey ? { validatorKey: options.validatorKey } : {}),
      maxPlausibleHeight: () => maxPlausibleHeight(genesis, this.now()),
      onPeerFault,
      logger: this.log,
      ...(options.finality?.voteWindowMs ? { voteWindowMs: options.finality.voteWindowMs } : {}),
      ...(options.finality?.equivocate ? { equivocate: true } : {}),
      ...(options.metricsRegistry
        ? {
            metrics: registerFinalityMetrics(options.metricsRegistry, {
              tipHeight: () => this.chain.tip().height,
            }),
          }
        : {}),
    });
    this.finality.on('finalized', (e) => this.emit('finalized', e));
    // Certificates the ranges carry, whether range sync or a fork switch fetched them.
    const onCertificates = (peerId: string, certs: tc.v1.ICertificate[]) =>
      void this.finality.onCertificates(peerId, certs);
    this.rangeSync = options.sync
      ? undefined
      : new RangeSync({
          ...options.rangeSync,
          onCertificates,
          registry: this.registry,
          target: this.chain,
          logger: this.log,
          ...(options.metricsRegistry ? { metricsRegistry: options.metricsRegistry } : {}),
        });
    const rangeSync = this.rangeSync;
    const extend: ExtendSync | undefined = options.sync
      ? options.sync({ registry: this.registry, chain: this.chain })
      : rangeSync && rangeSyncExtender(rangeSync);
    rangeSync?.on('progress', (p) => {
      this.syncProgress = p;
      this.emit('sync:progress', p);
    });
    this.forks = new ForkWatcher({
      api: this.registry,
      chain: this.chain,
      ...(options.minPeers !== undefined ? { minPeers: options.minPeers } : {}),
      ...(options.requestTimeoutMs !== undefined ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
      minCheckIntervalMs: options.forkCheckMinIntervalMs ?? 600,
      ...(extend ? { sync: extend } : {}),
      maxPlausibleHeight: () => maxPlausibleHeight(genesis, this.now()),
      onCertificates,
      onPeerFault,
    });
    this.accepted = new AcceptedTxs({ store, mempool: this.mempool });
    this.gossip = new Gossip({
      registry: this.registry,
      chain: this.chain,
      mempool: this.mempool,
      validator: this.validator,
      genesis,
      ...(options.seenCapacity !== undefined ? { seenCapacity: options.seenCapacity } : {}),
      ...(options.relay ? { relay: options.relay } : {}),
      onBlockGap: () => this.requestForkCheck(),
      onForkBlock: (bytes) => void this.finality.evidence.checkForkBlock(bytes),
      onAnnounce: (status) => this.metrics?.announced.inc({ outcome: status }),
      onTxs: (result, n) => {
        if (n > 0) this.metrics?.gossipTxs.inc({ result }, n);
      },
      onPeerFault,
      persist: (entries) => this.accepted.persist(entries),
    });
    const produce = options.produce ?? options.validatorKey !== undefined;
    this.producer =
      options.validatorKey && produce
        ? new ProductionLoop({
            chain: this.chain,
            genesis,
            mempool: this.mempool,
            key: options.validatorKey,
            shouldProduce: () => !this.syncConfirmed(),
            ...(options.now ? { now: options.now } : {}),
            onProduced: (built) => {
              this.gossip.announceProduced(built.bytes, built.hash, built.block.header.height);
              this.metrics?.produced.inc();
              this.emit('produced', { height: built.block.header.height, hash: built.hash });
            },
          })
        : undefined;
    registerChainHandlers(this.registry, this.chain, this.mempool, {
      ...DEFAULT_HANDLER_LIMITS,
      ...options.handlerLimits,
    });
    this.metrics = options.metricsRegistry
      ? registerNodeMetrics(options.metricsRegistry, {
          height: () => this.chain.tip().height,
          chainJobs: () => this.chain.pendingJobs,
        })
      : undefined;
    this.forks.on('check', (r) => this.metrics?.forkChecks.inc({ action: r.action }));
    this.chain.on('block:connected', (e) => {
      this.metrics?.blocksConnected.inc({ source: e.source });
      if (e.source === 'sync') this.lastSyncBlockAtMs = this.now();
      this.gossip.confirmed(e.plan.txs);
      this.producer?.reschedule();
      this.finality.onChainChanged();
      this.emit('block', e);
    });
    this.chain.on('reorg', (e) => {
      this.reorgs++;
      this.metrics?.reorgs.inc();
      this.metrics?.reorgDepth.observe(e.depth);
      this.lastReorg = { forkHeight: e.forkHeight, depth: e.depth, atMs: Date.now() };
      this.log.info({ forkHeight: e.forkHeight, depth: e.depth, newTip: e.newTip.height }, 'reorg');
      this.emit('reorg', e);
    });
    this.forks.on('sync:start', (e) => this.emit('sync:start', e));
    this.forks.on('sync:done', (e) => {
      if (e.error) this.log.warn({ height: e.height, target: e.target, err: e.error.message }, 'sync failed');
      this.emit('sync:done', e);
    });
    this.forks.on('fork:error', (e) =>
      this.log.debug({ peer: e.peerId.slice(0, 12), err: e.error.message }, 'fork candidate given up'),
    );
    this.forks.on('fork:waiting', (e) =>
      this.log.debug(
        { height: e.height, support: e.support, required: e.required },
        'better tip lacks support',
      ),
    );
    this.registry.on('message', (msg: InboundMessage) => {
      if (msg.kind === 'votes' || msg.kind === 'evidence') {
        this.finality.onMessage(msg.peerId, msg.kind, msg.body);
        return;
      }
      this.gossip.onMessage(msg);
      if (msg.kind === 'chainTip' && u64ToBigInt(msg.body.height) > BigInt(this.chain.tip().height)) {
        this.requestForkCheck();
      }
    });
    this.registry.on('peer:connect', (info) => {
      this.gossip.relay.peerConnected(info.id);
      this.finality.onPeerConnected(info.id);
      this.requestForkCheck();
    });
    this.registry.on('peer:disconnect', (e) => {
      this.gossip.relay.peerDisconnected(e.peerId);
      this.gossip.blocks.peerDisconnected(e.peerId);
    });
  }

  /** Listens, dials persistent peers, starts production and the periodic fork check. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`node cannot start from state ${this.state}`);
    await this.registry.start();
    this.state = 'started';
    this.gossip.start();
    await this.restoreAccepted();
    this.accepted.start();
    this.finality.start(Math.max(2_000, 2 * this.genesis.slotMs));
    this.finality.onChainChanged();
    this.producer?.start();
    const tick = () => {
      this.requestForkCheck();
      this.forkTimer = setTimeout(tick, this.forkCheckIntervalMs);
      this.forkTimer.unref();
    };
    this.forkTimer = setTimeout(tick, this.forkCheckIntervalMs);
    this.forkTimer.unref();
  }

  /**
   * Admits again what was accepted before a stop or a crash (announced as any submission);
   * what no longer applies (confirmed meanwhile, conflicting) is refused and swept away.
   */
  private async restoreAccepted(): Promise<void> {
    const bytes = this.accepted.restore();
    if (bytes.length === 0) return;
    const results = await this.gossip.submit(bytes);
    const readmitted = results.filter((r) => r.ok).length;
    this.log.info({ stored: bytes.length, readmitted }, 'accepted transactions restored');
    void this.accepted.sweep();
  }

  /**
   * Whether a sync is running and proven: blocks from it arrived within the last few slots.
   * Only then does production pause. A peer's claim alone (a lying tip answers the tip and
   * hash queries, then never serves a block) never stops this node producing.
   */
  private syncConfirmed(): boolean {
    if (!this.forks.syncing.active) return false;
    const window = 3 * Math.max(this.genesis.slotMs, this.genesis.leaderTimeoutMs);
    return this.now() - this.lastSyncBlockAtMs <= window;
  }

  /** Runs a fork/tip check now (or right after the running one). */
  checkForks(): Promise<ForkCheckResult> {
    return this.forks.check();
  }

  private requestForkCheck(): void {
    if (this.state === 'started') void this.forks.check();
  }

  /** Validates, admits and gossips transactions submitted locally (RPC). */
  submitTransactions(
    txs: readonly (Uint8Array | tc.v1.Transaction.$Properties)[],
  ): Promise<MempoolAddResult[]> {
    return this.gossip.submit(txs);
  }

  /** Reports a misbehaving peer to the registry's error → action table. */
  reportPeer(peerId: string, code: string, detail = ''): PenaltyDecision {
    const decision = this.registry.reportPeer(peerId, code, detail);
    this.emit('peer:fault', { peerId, code, decision });
    return decision;
  }

  /** Starts or pauses block production (the node keeps following the chain). */
  setProducing(on: boolean): void {
    if (on && this.state === 'started') this.producer?.start();
    else this.producer?.stop();
  }

  /** Dials a peer ("host:port"). */
  connect(address: string): Promise<unknown> {
    return this.registry.dial(address);
  }

  status(): ConsensusNodeStatus {
    const tip = this.chain.tipHeader();
    const sync = this.forks.syncing;
    return {
      nodeId: this.registry.nodeId,
      height: tip.height,
      tipHash: toHex(tip.hash),
      tipTimestampMs: tip.timestampMs,
      mempool: { count: this.mempool.count, bytes: this.mempool.bytes },
      syncing: sync.active,
      syncTarget: sync.target,
      syncProgress: this.syncProgress,
      peers: this.registry.peers().length,
      producing: this.producer?.active ?? false,
      blocksProduced: this.producer?.produced ?? 0,
      reorgs: this.reorgs,
      lastReorg: this.lastReorg,
      listen: this.registry.address(),
      finalized: { height: this.finality.finalized.height, hash: toHex(this.finality.finalized.hash) },
      evidence: this.finality.evidence.count,
    };
  }

  /**
   * Stops production and checks, closes every peer connection, drains the chain queue, then
   * (if the node owns them) destroys the pool and closes the store. Bounded by closeTimeoutMs
   * per step; idempotent.
   */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    this.state = 'stopping';
    if (this.forkTimer) clearTimeout(this.forkTimer);
    this.producer?.stop();
    this.gossip.stop();
    this.finality.stop();
    await withTimeout(this.accepted.stop(), this.closeTimeoutMs);
    await withTimeout(this.finality.settled(), this.closeTimeoutMs);
    this.forks.stop();
    this.rangeSync?.stop('node stopping');
    const bounded = (p: Promise<unknown>) => withTimeout(p, this.closeTimeoutMs);
    await bounded(this.registry.stop());
    await bounded(this.chain.stop());
    if (this.ownsValidator) await bounded(this.validator.destroy());
    if (this.ownsStore) await bounded(this.store.close());
    this.state = 'stopped';
  }
}
