import { type Logger, PeerConnectionRegistry } from '@tc/registry';
import type { ChainStore } from '@tc/storage';
import type { tc } from '@tc/wire';
import { FORK_SYNC_ERROR_ACTIONS } from '../chain/chain-errors.js';
import type { ChainManager } from '../chain/chain-manager.js';
import { CONSENSUS_ERROR_ACTIONS } from '../errors.js';
import { FINALITY_ERROR_ACTIONS } from '../finality/finality-errors.js';
import { registerFinalityMetrics } from '../finality/finality-metrics.js';
import { FinalityService } from '../finality/finality-service.js';
import { genesisHash } from '../genesis.js';
import { MEMPOOL_ERROR_ACTIONS } from '../mempool-errors.js';
import type { StatelessValidator } from '../pool.js';
import { maxPlausibleHeight } from '../schedule.js';
import { RangeSync, syncPace } from '../sync/range-sync.js';
import type { ConsensusNodeOptions } from './node-types.js';
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
