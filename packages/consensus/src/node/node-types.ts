import type {
  Logger,
  NodeIdentity,
  PeerConnectionRegistry,
  PenaltyDecision,
  RegistryOptions,
} from '@tc/registry';
import type { ChainStore } from '@tc/storage';
import type { Registry as MetricsRegistry } from 'prom-client';
import type { ChainManager } from '../chain/chain-manager.js';
import type { BlockConnectedEvent, ReorgEvent } from '../chain/chain-types.js';
import type { ExtendSync } from '../chain/fork-watcher-types.js';
import type { FinalizedEvent } from '../finality/finality-service.js';
import type { GenesisConfig } from '../genesis.js';
import type { KeyPair } from '../keys.js';
import type { MempoolOptions } from '../mempool.js';
import type { StatelessValidator } from '../stateless-validator.js';
import type { RangeSyncOptions } from '../sync/range-sync.js';
import type { SyncProgress } from '../sync/sync-types.js';
import type { GossipOptions } from './gossip.js';
import type { HandlerLimits } from './handlers.js';

export interface ConsensusNodeOptions {
  genesis: GenesisConfig;
  identity: NodeIdentity;
  /** LMDB data directory (opened and closed by the node) — or pass an open `store`. */
  dataDir?: string;
  store?: ChainStore;
  /** Validator key: the node produces blocks on its turns when it is in the validator set. */
  validatorKey?: KeyPair;
  /** Default true when `validatorKey` is given. */
  produce?: boolean;
  /** Where the registry listens (default 0.0.0.0, port 0); `false` to only dial. */
  listen?: RegistryOptions['listen'];
  persistentPeers?: string[];
  /** Extra registry options (limits, discovery, admission, …); consensus fills the rest. */
  registryOptions?: Partial<RegistryOptions>;
  /** Shared stateless validator (e.g. one ValidationPool for several nodes); else an own pool. */
  validator?: StatelessValidator;
  /** Threads of the node's own pool (default `defaultPoolThreads()`: every core but one). */
  poolThreads?: number;
  mempool?: Omit<MempoolOptions, 'registry'>;
  /** Distinct peers that must report a winning tip before a reorg (default 1; see ForkWatcherOptions). */
  minPeers?: number;
  /** Most blocks a reorg may roll back (default 100). */
  maxReorgDepth?: number;
  /** Period of the fork/tip check (default max(1 000, 5 × slotMs) ms). */
  forkCheckIntervalMs?: number;
  /**
   * Least time between two tip queries of fork checks (default 600 ms), which keeps this node
   * under its peers' getChainTip quota (registry default 2/s per peer) however often blocks
   * arrive; see ForkWatcherOptions.minCheckIntervalMs.
   */
  forkCheckMinIntervalMs?: number;
  /** Timeout of tip, hash and range requests made by fork checks (default 5 000 ms). */
  requestTimeoutMs?: number;
  handlerLimits?: Partial<HandlerLimits>;
  /** Transaction ids remembered by the gossip seen-filter (default 50 000). */
  seenCapacity?: number;
  /** Inventory relay tuning (announcement window, fetch timeout, re-announce period). */
  relay?: GossipOptions['relay'];
  /**
   * Replaces the extension sync. Default: a RangeSync over the registry with the chain manager
   * as its SyncTarget (`rangeSync` options apply to it).
   */
  sync?: (ctx: { registry: PeerConnectionRegistry; chain: ChainManager }) => ExtendSync;
  /** Options of the default RangeSync (batch size, look-ahead, timeouts, …). */
  rangeSync?: Omit<RangeSyncOptions, 'registry' | 'target' | 'logger' | 'metricsRegistry'>;
  /** Finality (README 15): vote relay window; test only: `equivocate` makes this validator sign double votes. */
  finality?: { voteWindowMs?: number; equivocate?: boolean };
  /** Upper bound of `stop()` (default 5 000 ms). */
  closeTimeoutMs?: number;
  metricsRegistry?: MetricsRegistry;
  logger?: Logger;
  now?: () => number;
}

export interface ConsensusNodeStatus {
  readonly nodeId: string;
  readonly height: number;
  readonly tipHash: string;
  readonly tipTimestampMs: number;
  readonly mempool: { readonly count: number; readonly bytes: number };
  readonly syncing: boolean;
  readonly syncTarget: number | undefined;
  /** Last progress of the running (or last) range sync. */
  readonly syncProgress: SyncProgress | undefined;
  readonly peers: number;
  readonly producing: boolean;
  readonly blocksProduced: number;
  readonly reorgs: number;
  readonly lastReorg:
    | { readonly forkHeight: number; readonly depth: number; readonly atMs: number }
    | undefined;
  readonly listen: { readonly host: string; readonly port: number } | undefined;
  /** The finalized block (genesis until a block is finalized). */
  readonly finalized: { readonly height: number; readonly hash: string };
  /** Equivocation evidence stored. */
  readonly evidence: number;
}

export interface ConsensusNodeEvents {
  /** A block joined the canonical chain (any source). */
  block: [BlockConnectedEvent];
  reorg: [ReorgEvent];
  /** We produced and connected a block (it was announced). */
  produced: [{ height: number; hash: Uint8Array }];
  'sync:start': [{ target: number; peers: string[] }];
  'sync:done': [{ height: number; target: number; error?: Error }];
  'sync:progress': [SyncProgress];
  /** A block became final (with its ancestors). */
  finalized: [FinalizedEvent];
  /** A peer was reported to the registry with a consensus/fork code. */
  'peer:fault': [{ peerId: string; code: string; decision: PenaltyDecision }];
}
