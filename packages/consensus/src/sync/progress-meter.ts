/**
 * Import rate over a sliding window (default 5 s, at most 64 samples) and the throttle of the
 * 'progress' event.
 */
export class ProgressMeter {
  private readonly samples: Array<{ t: number; h: number }>;
  private lastEmitAt = Number.NEGATIVE_INFINITY;

  constructor(
    startMs: number,
    startHeight: number,
    private readonly windowMs = 5_000,
    private readonly maxSamples = 64,
  ) {
    this.samples = [{ t: startMs, h: startHeight }];
  }

  record(nowMs: number, height: number): void {
    this.samples.push({ t: nowMs, h: height });
    while (
      this.samples.length > this.maxSamples ||
      (this.samples.length > 2 && this.samples[0]!.t < nowMs - this.windowMs)
    ) {
      this.samples.shift();
    }
  }

  /** Blocks per second over the window (0 before the first import). */
  rate(): number {
    const first = this.samples[0]!;
    const last = this.samples[this.samples.length - 1]!;
    const dt = last.t - first.t;
    return dt > 0 ? ((last.h - first.h) * 1000) / dt : 0;
  }

  /** Whether an event may be emitted now (at most one per `intervalMs`). */
  due(nowMs: number, intervalMs: number): boolean {
    return nowMs - this.lastEmitAt >= intervalMs;
  }

  emitted(nowMs: number): void {
    this.lastEmitAt = nowMs;
  }
}
