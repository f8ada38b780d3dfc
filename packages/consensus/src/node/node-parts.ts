import { type Logger, PeerConnectionRegistry } from '@tc/registry';
import { type ChainStore, openChainStore } from '@tc/storage';
import type { tc } from '@tc/wire';
import { FORK_SYNC_ERROR_ACTIONS } from '../chain/chain-errors.js';
import type { ChainManager } from '../chain/chain-manager.js';
import { ForkWatcher } from '../chain/fork-watcher.js';
import type { ExtendSync } from '../chain/fork-watcher-types.js';
import { CONSENSUS_ERROR_ACTIONS } from '../errors.js';
import { FINALITY_ERROR_ACTIONS } from '../finality/finality-errors.js';
import { registerFinalityMetrics } from '../finality/finality-metrics.js';
import { FinalityService } from '../finality/finality-service.js';
import { genesisHash } from '../genesis.js';
import { gossipWindowFor } from '../gossip-window.js';
import type { Mempool } from '../mempool.js';
import { MEMPOOL_ERROR_ACTIONS } from '../mempool-errors.js';
import { ValidationPool } from '../pool.js';
import { defaultPoolThreads } from '../pool-defaults.js';
import type { BuiltBlock } from '../producer.js';
import { maxPlausibleHeight } from '../schedule.js';
import type { StatelessValidator } from '../stateless-validator.js';
import { RangeSync, syncPace } from '../sync/range-sync.js';
import type { AcceptedTxs } from './accepted-txs.js';
import { Gossip } from './gossip.js';
import type { NodeMetrics } from './node-metrics.js';
import type { ConsensusNodeOptions } from './node-types.js';
import { rangeSyncExtender } from './node-util.js';
import { ProductionLoop } from './production-loop.js';
import { capacityRateQuotas } from './rate-quotas.js';

// The parts ConsensusNode builds from its options, each configured for this chain.

/**
 * The node's registry: its inbound quotas sized from the chain's capacity (block, transaction
 * and range kinds), so honest relay at full blocks and an honest sync never meet one; every
 * package's error table; bans and addresses in the chain store. The caller's options win.
 */
export function createNodeRegistry(
  options: ConsensusNodeOptions,
  store: ChainStore,
  chain: ChainManager,
  logger: Logger,
): PeerConnectionRegistry {
  const { genesis } = options;
  const extra = options.registryOptions ?? {};
  return new PeerConnectionRegistry({
    ...extra,
    identity: options.identity,
    networkId: genesis.networkId,
    genesisHash: genesisHash(genesis),
    getLocalTip: () => chain.tip(),
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
    logger,
  });
}

/** Votes, certificates, the finalized block and evidence (README 15). */
export function createFinality(
  options: ConsensusNodeOptions,
  parts: {
    store: ChainStore;
    chain: ChainManager;
    registry: PeerConnectionRegistry;
    validator: StatelessValidator;
    now: () => number;
    onPeerFault: (peerId: string, code: string) => void;
    log: Logger;
  },
): FinalityService {
  const { genesis } = options;
  return new FinalityService({
    genesis,
    store: parts.store,
    chain: parts.chain,
    registry: parts.registry,
    validator: parts.validator,
    ...(options.validatorKey ? { validatorKey: options.validatorKey } : {}),
    maxPlausibleHeight: () => maxPlausibleHeight(genesis, parts.now()),
    onPeerFault: parts.onPeerFault,
    logger: parts.log,
    ...(options.finality?.voteWindowMs ? { voteWindowMs: options.finality.voteWindowMs } : {}),
    ...(options.finality?.equivocate ? { equivocate: true } : {}),
    ...(options.metricsRegistry
      ? {
          metrics: registerFinalityMetrics(options.metricsRegistry, {
            tipHeight: () => parts.chain.tip().height,
          }),
        }
      : {}),
  });
}

/** The default extension sync, paced below what peers of this chain allow (the same genesis sizes their quota). */
export function createRangeSync(
  options: ConsensusNodeOptions,
  parts: {
    registry: PeerConnectionRegistry;
    chain: ChainManager;
    onCertificates: (peerId: string, certs: tc.v1.ICertificate[]) => void;
    log: Logger;
  },
): RangeSync {
  return new RangeSync({
    peerQuota: syncPace(capacityRateQuotas(options.genesis).getBlockRange),
    ...options.rangeSync,
    onCertificates: parts.onCertificates,
    registry: parts.registry,
    target: parts.chain,
    logger: parts.log,
    ...(options.metricsRegistry ? { metricsRegistry: options.metricsRegistry } : {}),
  });
}

/**
 * Fork detection, extended by the range sync (or the caller's `sync`). Tip claims past the
 * schedule's bound are dropped, by the node's own clock.
 */
export function createForkWatcher(
  options: ConsensusNodeOptions,
  parts: {
    registry: PeerConnectionRegistry;
    chain: ChainManager;
    rangeSync: RangeSync | undefined;
    now: () => number;
    onCertificates: (peerId: string, certs: tc.v1.ICertificate[]) => void;
    onPeerFault: (peerId: string, code: string) => void;
  },
): ForkWatcher {
  const { registry, chain, rangeSync } = parts;
  const extend: ExtendSync | undefined = options.sync
    ? options.sync({ registry, chain })
    : rangeSync && rangeSyncExtender(rangeSync);
  return new ForkWatcher({
    api: registry,
    chain,
    ...(options.minPeers !== undefined ? { minPeers: options.minPeers } : {}),
    ...(options.requestTimeoutMs !== undefined ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
    minCheckIntervalMs: options.forkCheckMinIntervalMs ?? 600,
    ...(extend ? { sync: extend } : {}),
    maxPlausibleHeight: () => maxPlausibleHeight(options.genesis, parts.now()),
    onCertificates: parts.onCertificates,
    onPeerFault: parts.onPeerFault,
  });
}

/** Block and transaction gossip, wired to finality (fork blocks as evidence), fork checks and the accepted-tx store. */
export function createGossip(
  options: ConsensusNodeOptions,
  parts: {
    registry: PeerConnectionRegistry;
    chain: ChainManager;
    mempool: Mempool;
    validator: StatelessValidator;
    finality: FinalityService;
    accepted: AcceptedTxs;
    metrics: NodeMetrics | undefined;
    requestForkCheck: () => void;
    onPeerFault: (peerId: string, code: string) => void;
  },
): Gossip {
  const { metrics } = parts;
  return new Gossip({
    registry: parts.registry,
    chain: parts.chain,
    mempool: parts.mempool,
    validator: parts.validator,
    genesis: options.genesis,
    ...(options.seenCapacity !== undefined ? { seenCapacity: options.seenCapacity } : {}),
    relay: { windowMs: gossipWindowFor(options.genesis.slotMs), ...options.relay },
    onBlockGap: parts.requestForkCheck,
    onForkBlock: (bytes) => void parts.finality.evidence.checkForkBlock(bytes),
    onAnnounce: (status) => metrics?.announced.inc({ outcome: status }),
    onSideBranch: (action) => metrics?.sideBranches.inc({ action }),
    onTxs: (result, n) => {
      if (n > 0) metrics?.gossipTxs.inc({ result }, n);
    },
    onPeerFault: parts.onPeerFault,
    persist: (entries) => parts.accepted.persist(entries),
  });
}

/** Block production, when the node has a validator key and production is not switched off. */
export function createProducer(
  options: ConsensusNodeOptions,
  parts: {
    chain: ChainManager;
    mempool: Mempool;
    gossip: Gossip;
    shouldProduce: () => boolean;
    onProduced: (built: BuiltBlock) => void;
  },
): ProductionLoop | undefined {
  const produce = options.produce ?? options.validatorKey !== undefined;
  if (!options.validatorKey || !produce) return undefined;
  return new ProductionLoop({
    chain: parts.chain,
    genesis: options.genesis,
    mempool: parts.mempool,
    key: options.validatorKey,
    shouldProduce: parts.shouldProduce,
    ...(options.now ? { now: options.now } : {}),
    onValid: (built) => parts.gossip.announceProduced(built.bytes, built.hash, built.block.header.height),
    onProduced: parts.onProduced,
  });
}

/** The store at `dataDir` (unless `store` is given) and a validation pool (unless `validator` is). */
export async function openStoreAndPool(
  options: ConsensusNodeOptions,
): Promise<{ store: ChainStore; pool: ValidationPool | undefined }> {
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
  return { store, pool };
}
