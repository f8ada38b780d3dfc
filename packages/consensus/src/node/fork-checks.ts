import type { ForkWatcher } from '../chain/fork-watcher.js';

/**
 * When a node asks its peers for their tips: on request (a new peer, a taller tip, a block
 * that did not connect) and every `intervalMs` (a timer that never holds the process open),
 * only while the node runs.
 */
export class ForkChecks {
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly forks: Pick<ForkWatcher, 'check'>,
    readonly intervalMs: number,
  ) {}

  /** Checks run from now on, and one every `intervalMs`. */
  start(): void {
    this.running = true;
    const tick = () => {
      this.request();
      this.timer = setTimeout(tick, this.intervalMs);
      this.timer.unref();
    };
    this.timer = setTimeout(tick, this.intervalMs);
    this.timer.unref();
  }

  /** A check now, or right after the running one (the watcher is single-flight); none unless started. */
  request(): void {
    if (this.running) void this.forks.check();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
