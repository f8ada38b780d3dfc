import type { SyncOutcome } from './errors.js';
import { ProgressMeter } from './progress-meter.js';
import type { RunConfig } from './sync-types.js';

/**
 * What one sync run has done: its heights, its counts, the peers that served it, and the
 * throttled 'progress' events. The run's scheduling (SyncRun) reports into it and reads the
 * heights back; nothing else writes them.
 */
export class RunTally {
  readonly startedAt = performance.now();
  /** When the height last moved (the stall check measures from it). */
  lastProgressAt = this.startedAt;
  height: number;
  targetHeight: number;
  private batchesDone = 0;
  private retries = 0;
  private imported = 0;
  private readonly peersUsed = new Set<string>();
  private readonly meter: ProgressMeter;

  constructor(
    readonly fromHeight: number,
    private readonly cfg: Pick<RunConfig, 'metrics' | 'onProgress' | 'progressIntervalMs'>,
    /** Peers able to serve the block after `height`. */
    private readonly usefulPeers: (height: number) => number,
  ) {
    this.height = fromHeight;
    this.targetHeight = fromHeight;
    this.meter = new ProgressMeter(this.startedAt, fromHeight);
    cfg.metrics?.height.set(fromHeight);
  }

  raiseTarget(height: number): void {
    this.targetHeight = Math.max(this.targetHeight, height);
    this.cfg.metrics?.targetHeight.set(this.targetHeight);
  }

  /** The chain reached `height` (no-op when that is not higher). */
  credit(height: number): void {
    if (height <= this.height) return;
    const now = performance.now();
    this.imported += height - this.height;
    this.cfg.metrics?.blocksImported.inc(height - this.height);
    this.height = height;
    this.lastProgressAt = now;
    this.cfg.metrics?.height.set(height);
    this.meter.record(now, height);
    if (this.meter.due(now, this.cfg.progressIntervalMs)) this.emitProgress(now);
  }

  /** A batch served by `peerId` was imported whole. */
  batchDone(peerId: string): void {
    this.batchesDone++;
    this.peersUsed.add(peerId);
  }

  /** A batch is fetched again (its peer failed it, or its import stopped). */
  retried(): void {
    this.retries++;
  }

  /** The window restarts below the current height (the chain moved under the run). */
  rewind(height: number): void {
    this.height = Math.min(this.height, height);
  }

  emitProgress(now: number): void {
    this.meter.emitted(now);
    this.cfg.onProgress({
      height: this.height,
      target: this.targetHeight,
      blocksPerSec: this.meter.rate(),
      peers: this.usefulPeers(Math.min(this.height + 1, this.targetHeight)),
    });
  }

  outcome(toHeight: number): SyncOutcome {
    return {
      fromHeight: this.fromHeight,
      toHeight,
      targetHeight: this.targetHeight,
      imported: this.imported,
      durationMs: Math.round(performance.now() - this.startedAt),
      batches: this.batchesDone,
      retries: this.retries,
      peersUsed: [...this.peersUsed],
    };
  }
}
