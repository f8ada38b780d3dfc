import { EventEmitter } from 'node:events';
import { type Logger, type PeerConnectionRegistry, type PenaltyDecision, silentLogger } from '@tc/registry';
import type { ChainStore } from '@tc/storage';
import type { tc } from '@tc/wire';
import { ChainManager } from '../chain/chain-manager.js';
import type { ForkWatcher } from '../chain/fork-watcher.js';
import type { ForkCheckResult } from '../chain/fork-watcher-types.js';
import type { FinalityService } from '../finality/finality-service.js';
import type { GenesisConfig } from '../genesis.js';
import { Mempool, type MempoolAddResult } from '../mempool.js';
import type { ValidationPool } from '../pool.js';
import type { StatelessValidator } from '../stateless-validator.js';
import type { RangeSync } from '../sync/range-sync.js';
import type { SyncProgress } from '../sync/sync-types.js';
import { AcceptedTxs } from './accepted-txs.js';
import type { BlockArrival } from './block-arrivals.js';
import { ChainActivity } from './chain-activity.js';
import { ForkChecks } from './fork-checks.js';
import type { Gossip } from './gossip.js';
import { DEFAULT_HANDLER_LIMITS, registerChainHandlers } from './handlers.js';
import { routeNodeEvents } from './node-events.js';
import { type NodeMetrics, registerNodeMetrics } from './node-metrics.js';
import type { ConsensusNodeEvents, ConsensusNodeOptions, ConsensusNodeStatus } from './node-types.js';

export type { ConsensusNodeEvents, ConsensusNodeOptions, ConsensusNodeStatus } from './node-types.js';

import {
  createFinality,
  createForkWatcher,
  createGossip,
  createNodeRegistry,
  createProducer,
  createRangeSync,
  openStoreAndPool,
} from './node-parts.js';
import { nodeStatus } from './node-status.js';
import { withTimeout } from './node-util.js';
import type { ProductionLoop } from './production-loop.js';

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
  /** Recent arrivals (RPC `getblockarrivals`), reorgs, the last synced block. */
  private readonly activity: ChainActivity;
  private readonly ownsStore: boolean;
  private readonly ownsValidator: boolean;
  private readonly log: Logger;
  private readonly forkChecks: ForkChecks;
  private readonly closeTimeoutMs: number;
  private state: 'new' | 'started' | 'stopping' | 'stopped' = 'new';
  private stopping: Promise<void> | undefined;
  private syncProgress: SyncProgress | undefined;
  private readonly now: () => number;
  private readonly metrics: NodeMetrics | undefined;

  /** Opens the store at `dataDir` (unless `store` is given) and builds the node (not started). */
  static async create(options: ConsensusNodeOptions): Promise<ConsensusNode> {
    const { store, pool } = await openStoreAndPool(options);
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
    this.registry = createNodeRegistry(options, store, this.chain, this.log);
    const onPeerFault = (peerId: string, code: string) => this.reportPeer(peerId, code);
    this.finality = createFinality(options, {
      store,
      chain: this.chain,
      registry: this.registry,
      validator: this.validator,
      now: this.now,
      onPeerFault,
      log: this.log,
    });
    this.finality.on('finalized', (e) => this.emit('finalized', e));
    // Certificates the ranges carry, whether range sync or a fork switch fetched them.
    const onCertificates = (peerId: string, certs: tc.v1.ICertificate[]) =>
      void this.finality.onCertificates(peerId, certs);
    this.rangeSync = options.sync
      ? undefined
      : createRangeSync(options, {
          registry: this.registry,
          chain: this.chain,
          onCertificates,
          log: this.log,
        });
    this.rangeSync?.on('progress', (p) => {
      this.syncProgress = p;
      this.emit('sync:progress', p);
    });
    this.forks = createForkWatcher(options, {
      registry: this.registry,
      chain: this.chain,
      rangeSync: this.rangeSync,
      now: this.now,
      onCertificates,
      onPeerFault,
    });
    this.forkChecks = new ForkChecks(
      this.forks,
      options.forkCheckIntervalMs ?? Math.max(1_000, 5 * genesis.slotMs),
    );
    this.accepted = new AcceptedTxs({ store, mempool: this.mempool });
    this.metrics = options.metricsRegistry
      ? registerNodeMetrics(options.metricsRegistry, {
          height: () => this.chain.tip().height,
          chainJobs: () => this.chain.pendingJobs,
        })
      : undefined;
    this.gossip = createGossip(options, {
      registry: this.registry,
      chain: this.chain,
      mempool: this.mempool,
      validator: this.validator,
      finality: this.finality,
      accepted: this.accepted,
      metrics: this.metrics,
      requestForkCheck: () => this.forkChecks.request(),
      onPeerFault,
    });
    this.producer = createProducer(options, {
      chain: this.chain,
      mempool: this.mempool,
      gossip: this.gossip,
      shouldProduce: () => !this.syncConfirmed(),
      onProduced: (built) => {
        this.metrics?.produced.inc();
        this.emit('produced', { height: built.block.header.height, hash: built.hash });
      },
    });
    registerChainHandlers(
      this.registry,
      this.chain,
      this.mempool,
      {
        ...DEFAULT_HANDLER_LIMITS,
        ...options.handlerLimits,
      },
      {
        // A peer that fetched transactions from us holds them: they are not announced to it again.
        servedTxs: (peerId, txids) => this.gossip.relay.servedTo(peerId, txids),
      },
    );
    this.activity = new ChainActivity({ metrics: this.metrics, log: this.log, now: this.now });
    routeNodeEvents({
      registry: this.registry,
      forks: this.forks,
      gossip: this.gossip,
      finality: this.finality,
      chain: this.chain,
      activity: this.activity,
      producer: this.producer,
      metrics: this.metrics,
      log: this.log,
      events: this,
      requestForkCheck: () => this.forkChecks.request(),
      rangeSync: this.rangeSync,
    });
  }

  /** The last `limit` blocks that connected here (all kept by default), oldest first. */
  arrivals(limit?: number): BlockArrival[] {
    return this.activity.arrivals.list(limit);
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
    this.forkChecks.start();
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
    return this.now() - this.activity.lastSyncBlockAtMs <= window;
  }

  /** Runs a fork/tip check now (or right after the running one). */
  checkForks(): Promise<ForkCheckResult> {
    return this.forks.check();
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
    const { registry, chain, mempool, forks, finality, producer, activity, syncProgress } = this;
    return nodeStatus({ registry, chain, mempool, forks, finality, producer, activity, syncProgress });
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
    this.forkChecks.stop();
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
