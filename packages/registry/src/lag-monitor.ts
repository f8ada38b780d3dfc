import { performance } from 'node:perf_hooks';

/**
 * Event-loop lag monitor. tc keeps sockets on the main thread, so a long synchronous task
 * (a big block import, a GC pause) delays timers and reads alike: a response that arrived in
 * time can sit unread while its timeout callback runs first. Before a timeout costs a peer
 * score, ask `excusesTimeout(startMs)`: if our loop lagged during the timeout's window, the
 * peer is not charged (lodestar#5547, ethjs#133 were bans caused by our own stalls).
 *
 * Sampling: a self-rescheduling `setTimeout(resolutionMs)` (unref'd) records, per tick, how
 * late it ran. Samples live in a fixed ring (bounded), covering about `historyMs`.
 * Times are `performance.now()` milliseconds unless `now` is injected.
 */

export interface EventLoopLagMonitorOptions {
  /** Sampling interval (default 50 ms). */
  resolutionMs?: number;
  /** Lag at or above this counts as lagging and excuses timeouts (default 200 ms). */
  lagThresholdMs?: number;
  /** How far back samples are kept (default 120 000 ms); ring size = historyMs / resolutionMs. */
  historyMs?: number;
  /** Clock in ms (default performance.now). Inject for tests. */
  now?: () => number;
}

export const DEFAULT_LAG_MONITOR_OPTIONS = Object.freeze({
  resolutionMs: 50,
  lagThresholdMs: 200,
  historyMs: 120_000,
});

/** Upper bound of the ring, whatever the options say. */
const MAX_SAMPLES = 10_000;

export class EventLoopLagMonitor {
  readonly resolutionMs: number;
  readonly lagThresholdMs: number;
  private readonly clock: () => number;
  /** Ring of samples: time the tick ran and how late it was. */
  private readonly atMs: Float64Array;
  private readonly lagMs: Float64Array;
  private head = 0;
  private count = 0;
  private lastTickMs: number | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(opts: EventLoopLagMonitorOptions = {}) {
    this.resolutionMs = opts.resolutionMs ?? DEFAULT_LAG_MONITOR_OPTIONS.resolutionMs;
    this.lagThresholdMs = opts.lagThresholdMs ?? DEFAULT_LAG_MONITOR_OPTIONS.lagThresholdMs;
    const historyMs = opts.historyMs ?? DEFAULT_LAG_MONITOR_OPTIONS.historyMs;
    if (!(this.resolutionMs >= 1)) throw new RangeError(`resolutionMs must be ≥ 1, got ${this.resolutionMs}`);
    if (!(this.lagThresholdMs > 0)) {
      throw new RangeError(`lagThresholdMs must be > 0, got ${this.lagThresholdMs}`);
    }
    if (!(historyMs >= this.resolutionMs)) throw new RangeError(`historyMs must be ≥ resolutionMs`);
    const size = Math.min(MAX_SAMPLES, Math.ceil(historyMs / this.resolutionMs));
    this.atMs = new Float64Array(size);
    this.lagMs = new Float64Array(size);
    this.clock = opts.now ?? (() => performance.now());
  }

  /** Starts sampling (idempotent). The timer never keeps the process alive. */
  start(): void {
    if (this.timer !== undefined) return;
    this.lastTickMs = this.clock();
    this.schedule();
  }

  /** Stops sampling (idempotent). Samples are kept. */
  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.lastTickMs = undefined;
  }

  /** The monitor's clock (performance.now() unless injected): record timeout starts with it. */
  now(): number {
    return this.clock();
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  /**
   * Takes one sample: how late this tick is against `resolutionMs` after the previous one.
   * The timer calls it; it is public so tests (with an injected clock) and callers that
   * already run a periodic loop can drive it. Returns the lag recorded.
   */
  tick(): number {
    const t = this.clock();
    const lag = this.lastTickMs === undefined ? 0 : Math.max(0, t - this.lastTickMs - this.resolutionMs);
    this.lastTickMs = t;
    this.record(t, lag);
    return lag;
  }

  /** Records a lag observed some other way (e.g. perf_hooks histograms). */
  record(atMs: number, lagMs: number): void {
    this.atMs[this.head] = atMs;
    this.lagMs[this.head] = lagMs;
    this.head = (this.head + 1) % this.atMs.length;
    this.count = Math.min(this.count + 1, this.atMs.length);
  }

  /**
   * Largest lag (ms) that overlapped the time since `startMs`: samples taken after `startMs`,
   * plus the stall in progress right now (time since the last tick beyond one interval),
   * which matters because a late timeout callback usually runs before the monitor's tick.
   * If `startMs` is older than the ring, the answer covers the ring only.
   */
  lagSince(startMs: number): number {
    let max = this.currentStall();
    for (let i = 0; i < this.count; i++) {
      const idx = (this.head - 1 - i + this.atMs.length) % this.atMs.length;
      if (this.atMs[idx]! <= startMs) break;
      if (this.lagMs[idx]! > max) max = this.lagMs[idx]!;
    }
    return max;
  }

  /** Whether the loop is lagging now: the last sample or the stall in progress ≥ threshold. */
  isLagging(): boolean {
    const last = this.count > 0 ? this.lagMs[(this.head - 1 + this.atMs.length) % this.atMs.length]! : 0;
    return Math.max(last, this.currentStall()) >= this.lagThresholdMs;
  }

  /** true when a timeout that started at `startMs` may be our own fault. */
  excusesTimeout(startMs: number): boolean {
    return this.lagSince(startMs) >= this.lagThresholdMs;
  }

  /** Samples held (≤ ring size). */
  size(): number {
    return this.count;
  }

  private currentStall(): number {
    if (this.lastTickMs === undefined) return 0;
    return Math.max(0, this.clock() - this.lastTickMs - this.resolutionMs);
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      if (this.timer === undefined) return;
      this.tick();
      this.schedule();
    }, this.resolutionMs);
    this.timer.unref();
  }
}
