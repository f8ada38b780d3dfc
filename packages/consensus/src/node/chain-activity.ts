import type { Logger } from '@tc/registry';
import { toHex } from '../bytes.js';
import type { BlockConnectedEvent, ReorgEvent } from '../chain/chain-types.js';
import { BlockArrivals } from './block-arrivals.js';
import type { NodeMetrics } from './node-metrics.js';
import type { ConsensusNodeStatus } from './node-types.js';

/**
 * What the chain did lately, as status and metrics show it: when each block arrived and how
 * (`getblockarrivals`), the reorgs, and when the last synced block came (a sync in progress is
 * proven by its blocks, not by a peer's claim).
 */
export class ChainActivity {
  readonly arrivals = new BlockArrivals();
  reorgs = 0;
  lastReorg: ConsensusNodeStatus['lastReorg'];
  lastSyncBlockAtMs = Number.NEGATIVE_INFINITY;

  constructor(private readonly o: { metrics: NodeMetrics | undefined; log: Logger; now: () => number }) {}

  connected(e: BlockConnectedEvent): void {
    this.o.metrics?.blocksConnected.inc({ source: e.source });
    const connectedAtMs = Date.now();
    const blockTimeMs = e.block.header.timestampMs;
    this.arrivals.record({
      hash: toHex(e.hash),
      height: e.height,
      blockTimeMs,
      connectedAtMs,
      source: e.source,
      ...(e.fromPeer !== undefined ? { fromPeer: e.fromPeer } : {}),
    });
    // Sync replays old blocks: their lateness says nothing about propagation.
    if (e.source === 'sync') this.lastSyncBlockAtMs = this.o.now();
    else this.o.metrics?.arrivalDelay.observe((connectedAtMs - blockTimeMs) / 1_000);
  }

  reorged(e: ReorgEvent): void {
    this.reorgs++;
    this.o.metrics?.reorgs.inc();
    this.o.metrics?.reorgDepth.observe(e.depth);
    this.lastReorg = { forkHeight: e.forkHeight, depth: e.depth, atMs: Date.now() };
    this.o.log.info({ forkHeight: e.forkHeight, depth: e.depth, newTip: e.newTip.height }, 'reorg');
  }
}
