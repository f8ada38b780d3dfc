import { ChainError } from './chain-errors.js';

/**
 * The chain manager's single-flight job queue: imports, announced blocks and reorgs run one at
 * a time, in arrival order, so two never interleave. Bounded in jobs and in the bytes of
 * not-yet-validated blocks waiting; past either bound, and once stopped, a job is refused.
 */
export class ChainJobs {
  private tail: Promise<unknown> = Promise.resolve();
  private queued = 0;
  private queuedBytes = 0;
  private stopped = false;

  constructor(
    private readonly maxQueue: number,
    private readonly maxQueuedBytes: number,
  ) {}

  /** Jobs waiting or running. */
  get pending(): number {
    return this.queued;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Refuses new jobs; resolves when the running and queued ones have settled. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.tail;
  }

  /** Runs `job` after the ones before it; `bytes`: the block bytes it holds until it runs. */
  run<T>(job: () => Promise<T>, bytes = 0): Promise<T> {
    if (this.stopped) return Promise.reject(new ChainError('STOPPED', 'chain manager is stopped'));
    if (this.queued >= this.maxQueue) {
      return Promise.reject(new ChainError('QUEUE_FULL', `${this.queued} chain jobs pending`));
    }
    // Not-yet-validated block bytes waiting here are bounded too: past the budget the newcomer
    // is shed (dropped, never blamed: a later announcement or a range sync brings it again).
    if (bytes > 0 && this.queuedBytes + bytes > this.maxQueuedBytes) {
      return Promise.reject(new ChainError('QUEUE_FULL', `${this.queuedBytes} block bytes pending`));
    }
    this.queued++;
    this.queuedBytes += bytes;
    const run = this.tail.then(job).finally(() => {
      this.queued--;
      this.queuedBytes -= bytes;
    });
    this.tail = run.catch(() => undefined);
    return run;
  }
}
