import type { PeerConnectionRegistry } from '@tc/registry';
import { toHex } from '../bytes.js';
import type { ChainManager } from '../chain/chain-manager.js';
import type { ForkWatcher } from '../chain/fork-watcher.js';
import type { FinalityService } from '../finality/finality-service.js';
import type { Mempool } from '../mempool.js';
import type { SyncProgress } from '../sync/sync-types.js';
import type { ChainActivity } from './chain-activity.js';
import type { ConsensusNodeStatus } from './node-types.js';
import type { ProductionLoop } from './production-loop.js';

/** The parts a node's status is read from (each owns its own figures). */
export interface StatusSources {
  readonly registry: PeerConnectionRegistry;
  readonly chain: ChainManager;
  readonly mempool: Mempool;
  readonly forks: ForkWatcher;
  readonly finality: FinalityService;
  readonly producer: ProductionLoop | undefined;
  readonly activity: ChainActivity;
  readonly syncProgress: SyncProgress | undefined;
}

/** One snapshot of the node (RPC `getstatus`). */
export function nodeStatus(s: StatusSources): ConsensusNodeStatus {
  const tip = s.chain.tipHeader();
  const sync = s.forks.syncing;
  return {
    nodeId: s.registry.nodeId,
    height: tip.height,
    tipHash: toHex(tip.hash),
    tipTimestampMs: tip.timestampMs,
    mempool: { count: s.mempool.count, bytes: s.mempool.bytes },
    syncing: sync.active,
    syncTarget: sync.target,
    syncProgress: s.syncProgress,
    peers: s.registry.peers().length,
    producing: s.producer?.active ?? false,
    blocksProduced: s.producer?.produced ?? 0,
    reorgs: s.activity.reorgs,
    lastReorg: s.activity.lastReorg,
    listen: s.registry.address(),
    finalized: { height: s.finality.finalized.height, hash: toHex(s.finality.finalized.hash) },
    evidence: s.finality.evidence.count,
  };
}
