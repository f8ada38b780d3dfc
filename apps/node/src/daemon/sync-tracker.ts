import type { ConsensusNode } from '@tc/consensus';
import type { SyncInfo } from '../rpc/api.js';

/** A node this many blocks behind the best tip its peers announce counts as syncing. */
export const BEHIND_SYNCING_BLOCKS = 2;
/** A sync that reported `stalled` this recently (and has not imported since) is `stalled`. */
const STALLED_FOR_MS = 30_000;

/**
 * The sync state for `getblockchaininfo` and `/health`, from ConsensusNode's status and events
 * (`sync:start`, `sync:progress`, `sync:done`, and RangeSync's `stalled`) and the tips peers
 * announce: `starting` before the node runs, `syncing` while a range sync runs or when peers are
 * more than BEHIND_SYNCING_BLOCKS ahead, `stalled` when the running sync has imported nothing for
 * its stall timeout, `synced` otherwise. `progress` = height / targetHeight.
 */
export class SyncTracker {
  private stalledAt: number | undefined;
  private lastTarget = 0;

  constructor(private readonly node: () => ConsensusNode | undefined) {}

  attach(node: ConsensusNode): void {
    node.on('sync:start', (e) => {
      this.stalledAt = undefined;
      this.lastTarget = Math.max(this.lastTarget, e.target);
    });
    node.on('sync:progress', (p) => {
      this.stalledAt = undefined;
      this.lastTarget = Math.max(this.lastTarget, p.target);
    });
    node.on('sync:done', () => {
      this.stalledAt = undefined;
    });
    node.rangeSync?.on('stalled', () => {
      this.stalledAt = Date.now();
    });
  }

  info(): SyncInfo {
    const node = this.node();
    if (!node) return { state: 'starting', targetHeight: 0, progress: 0 };
    const s = node.status();
    let peerBest = 0;
    for (const p of node.registry.peers()) peerBest = Math.max(peerBest, Number(p.tip.height));
    const height = s.height;
    if (s.syncing) {
      const target = Math.max(height, s.syncTarget ?? 0, s.syncProgress?.target ?? 0, peerBest);
      const stalled = this.stalledAt !== undefined && Date.now() - this.stalledAt < STALLED_FOR_MS;
      return {
        state: stalled ? 'stalled' : 'syncing',
        targetHeight: target,
        progress: ratio(height, target),
      };
    }
    if (peerBest > height + BEHIND_SYNCING_BLOCKS) {
      return { state: 'syncing', targetHeight: peerBest, progress: ratio(height, peerBest) };
    }
    return { state: 'synced', targetHeight: Math.max(height, peerBest), progress: 1 };
  }
}

function ratio(height: number, target: number): number {
  return target <= 0 ? 1 : Math.min(1, height / target);
}
