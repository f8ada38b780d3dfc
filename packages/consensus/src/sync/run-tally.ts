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
  private progressAt = this.startedAt;
  private heightNow: number;
  private target: number;
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
    this.heightNow = fromHeight;
    this.target = fromHeight;
    this.meter = new ProgressMeter(this.startedAt, fromHeight);
    cfg.metrics?.height.set(fromHeight);
  }

  get height(): number {
    return this.heightNow;
  }

  get targetHeight(): number {
    return this.target;
  }

  /** When the height last moved, or a stall was last reported (the stall check measures from it). */
  get lastProgressAt(): number {
    return this.progressAt;
  }

  raiseTarget(height: number): void {
    this.target = Math.max(this.target, height);
    this.cfg.metrics?.targetHeight.set(this.target);
  }

  /** A stall was reported at `now`: the next one is a whole stall timeout away. */
  stallReported(now: number): void {
    this.progressAt = now;
  }

  /** The chain reached `height` (no-op when that is not higher). */
  credit(height: number): void {
    if (height <= this.heightNow) return;
    const now = performance.now();
    this.imported += height - this.heightNow;
    this.cfg.metrics?.blocksImported.inc(height - this.heightNow);
    this.heightNow = height;
    this.progressAt = now;
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
    this.heightNow = Math.min(this.heightNow, height);
  }

  emitProgress(now: number): void {
    this.meter.emitted(now);
    this.cfg.onProgress({
      height: this.heightNow,
      target: this.target,
      blocksPerSec: this.meter.rate(),
      peers: this.usefulPeers(Math.min(this.heightNow + 1, this.target)),
    });
  }

  outcome(toHeight: number): SyncOutcome {
    return {
      fromHeight: this.fromHeight,
      toHeight,
      targetHeight: this.target,
      imported: this.imported,
      durationMs: Math.round(performance.now() - this.startedAt),
      batches: this.batchesDone,
      retries: this.retries,
      peersUsed: [...this.peersUsed],
    };
  }
}
