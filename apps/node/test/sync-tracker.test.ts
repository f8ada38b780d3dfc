import { EventEmitter } from 'node:events';
import type { ConsensusNode } from '@tc/consensus';
import { describe, expect, it } from 'vitest';
import { SyncTracker } from '../src/internal.js';

/** The parts of ConsensusNode the tracker reads, driven by the test. */
class FakeNode extends EventEmitter {
  height = 10;
  syncing = false;
  syncTarget: number | undefined;
  peerTips: number[] = [];
  readonly rangeSync = new EventEmitter();
  readonly registry = { peers: () => this.peerTips.map((h) => ({ tip: { height: BigInt(h) } })) };
  status() {
    return {
      height: this.height,
      syncing: this.syncing,
      syncTarget: this.syncTarget,
      syncProgress: undefined,
    };
  }
}

describe('SyncTracker', () => {
  it('starting → synced → syncing (behind peers, then a range sync) → stalled → synced', () => {
    let node: FakeNode | undefined;
    const tracker = new SyncTracker(() => node as unknown as ConsensusNode | undefined);
    expect(tracker.info()).toEqual({ state: 'starting', targetHeight: 0, progress: 0 });

    node = new FakeNode();
    tracker.attach(node as unknown as ConsensusNode);
    node.peerTips = [10, 11];
    expect(tracker.info()).toEqual({ state: 'synced', targetHeight: 11, progress: 1 });

    // Peers announce a tip well ahead: catching up even before the range sync starts.
    node.peerTips = [40];
    expect(tracker.info()).toEqual({ state: 'syncing', targetHeight: 40, progress: 0.25 });

    node.syncing = true;
    node.syncTarget = 50;
    node.emit('sync:start', { target: 50, peers: ['a'] });
    node.height = 25;
    expect(tracker.info()).toEqual({ state: 'syncing', targetHeight: 50, progress: 0.5 });

    node.rangeSync.emit('stalled', {});
    expect(tracker.info().state).toBe('stalled');
    node.emit('sync:progress', { height: 26, target: 50, blocksPerSec: 1, peers: 1 });
    expect(tracker.info().state).toBe('syncing');

    node.syncing = false;
    node.height = 50;
    node.peerTips = [50];
    node.emit('sync:done', { height: 50, target: 50 });
    expect(tracker.info()).toEqual({ state: 'synced', targetHeight: 50, progress: 1 });
  });
});
