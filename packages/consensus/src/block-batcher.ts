import type { StatelessParams } from './genesis.js';
import type { StatelessBlockResult } from './stateless.js';
import { queueRank } from './task-queue.js';
import {
  type BlockTaskResult,
  blockResultOf,
  packTransactions,
  type ValidationTask,
  type ValidationTaskResult,
} from './validation-task.js';

/** Most blocks in one `blocks` task. */
export const MAX_BLOCKS_PER_TASK = 16;
/**
 * Most bytes in one `blocks` task (a larger block goes alone): grouping pays for small blocks,
 * whose validation is shorter than a task's hand-over; large ones are better spread over workers
 * and returned one by one. At 64 KiB two 100-transaction blocks (23 KB each) shared a task, so
 * their stateful checks waited for both and never overlapped the worker: full validation with
 * one worker and two blocks in flight fell from 1.12× to 0.97× the main thread (consensus bench);
 * at 16 KiB it is 1.11–1.16× again, while a sync's small blocks still share tasks.
 */
export const MAX_BATCHED_BLOCK_BYTES = 16 * 1024;

interface Waiting {
  readonly bytes: Uint8Array;
  readonly params: StatelessParams;
  readonly order: number | undefined;
  readonly resolve: (r: StatelessBlockResult) => void;
  readonly reject: (e: unknown) => void;
}

/**
 * Coalesces the block validations asked for in one tick into `blocks` tasks of at most
 * MAX_BLOCKS_PER_TASK blocks and MAX_BATCHED_BLOCK_BYTES, spread over the workers. A worker takes the next task only when the main thread hands it
 * over, so with one small block per task the worker idled whenever the main thread was busy
 * (a syncing node's stateful checks and commits): two thirds of the time at 5 000 blocks/s. A
 * lone block (gossip) still goes at once, alone: only calls of the same tick are grouped.
 */
export class BlockBatcher {
  private waiting: Waiting[] = [];
  private scheduled = false;

  constructor(
    private readonly run: (task: ValidationTask, transfer: ArrayBuffer[]) => Promise<ValidationTaskResult>,
    /** Workers: a tick's blocks are spread over at least this many tasks when there are enough. */
    private readonly workers = 1,
  ) {}

  /** `order`: the pool queue's order for it (task-queue.ts); none = at once. */
  validate(bytes: Uint8Array, params: StatelessParams, order?: number): Promise<StatelessBlockResult> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ bytes, params, order, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        queueMicrotask(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    // Lowest order first (stable; none first), so a task's blocks are neighbours in the queue;
    // `|| 0` makes two blocks without one (-Infinity − -Infinity = NaN) a tie.
    const all = this.waiting.sort((a, b) => queueRank(a.order) - queueRank(b.order) || 0);
    this.waiting = [];
    // At least one task per worker when the tick has enough blocks, so no worker idles.
    const perTask = Math.max(1, Math.min(MAX_BLOCKS_PER_TASK, Math.ceil(all.length / this.workers)));
    let group: Waiting[] = [];
    let bytes = 0;
    for (const w of all) {
      const fits =
        group.length < perTask &&
        bytes + w.bytes.length <= MAX_BATCHED_BLOCK_BYTES &&
        (group.length === 0 || sameParams(group[0]!.params, w.params));
      if (!fits && group.length > 0) {
        this.send(group);
        group = [];
        bytes = 0;
      }
      group.push(w);
      bytes += w.bytes.length;
    }
    if (group.length > 0) this.send(group);
  }

  private send(group: Waiting[]): void {
    const { bytes, offsets } = packTransactions(group.map((w) => w.bytes));
    const order = group[0]!.order;
    const task: ValidationTask = { kind: 'blocks', bytes, offsets, params: group[0]!.params, order };
    this.run(task, [bytes.buffer as ArrayBuffer, offsets.buffer as ArrayBuffer]).then(
      (result) => {
        const results: readonly BlockTaskResult[] = result.kind === 'blocks' ? result.results : [];
        group.forEach((w, i) => {
          const r = results[i];
          if (r === undefined) w.reject(new Error('the worker returned no result for this block'));
          else {
            try {
              w.resolve(blockResultOf(r));
            } catch (error) {
              w.reject(error);
            }
          }
        });
      },
      (error: unknown) => {
        for (const w of group) w.reject(error);
      },
    );
  }
}

function sameParams(a: StatelessParams, b: StatelessParams): boolean {
  return (
    a === b ||
    (a.networkId === b.networkId && a.maxBlockBytes === b.maxBlockBytes && a.maxTxBytes === b.maxTxBytes)
  );
}
