import type { TaskQueue } from 'piscina';

type Task = Parameters<TaskQueue['push']>[0];

/**
 * Whether a queued piscina task goes in the front lane (piscina keeps our payload in `task`):
 * a block, or a signature batch (votes and certificates: a few signatures that finality waits on).
 */
function isBlockTask(task: Task): boolean {
  const kind = (task as { task?: { kind?: unknown } }).task?.kind;
  return kind === 'block' || kind === 'blocks' || kind === 'sigs';
}

/**
 * Where a block with `order` (the height an import needs it at) waits: lowest first, and a
 * block without one (-Infinity) before all of them. The pool's queue and BlockBatcher's grouping
 * both rank by it.
 */
export function queueRank(order: unknown): number {
  return typeof order === 'number' && !Number.isNaN(order) ? order : Number.NEGATIVE_INFINITY;
}

/** A queued piscina task's rank (piscina keeps our payload in `task`). */
function orderOf(task: Task): number {
  return queueRank((task as { task?: { order?: unknown } }).task?.order);
}

/**
 * The pool's queue: blocks before transaction batches, each in arrival order. A block gates
 * the chain (the next leader cannot build on it, the tip cannot move) while a transaction
 * batch only delays one admission, so a block that waited behind a burst of gossip batches
 * turned into a missed slot and a fork at 250 ms slots. Both lanes together hold at most the
 * pool's `maxQueue` tasks (piscina checks `size` before `push`).
 *
 * Within the block lane, a task with an `order` (the height an import will need it at: a
 * sync's prevalidation and import) waits behind every task without one (a gossiped block, a
 * signature batch) and behind those of lower order. A sync downloads batches from several
 * peers, which land out of order, and prevalidates each as it lands: in arrival order a later
 * batch that landed first is checked before the blocks the import waits on, and the import
 * (the main thread's share of the work) stands still meanwhile.
 */
export class BlockFirstQueue implements TaskQueue {
  // Arrays with shift(): both lanes together are bounded by maxQueue (DEFAULT_POOL_MAX_QUEUE, 4 096).
  private readonly blocks: Task[] = [];
  private readonly txs: Task[] = [];

  get size(): number {
    return this.blocks.length + this.txs.length;
  }

  push(task: Task): void {
    if (!isBlockTask(task)) {
      this.txs.push(task);
      return;
    }
    // Behind every task of the same or lower order (stable); the lane is at most maxQueue long.
    const order = orderOf(task);
    let at = this.blocks.length;
    while (at > 0 && orderOf(this.blocks[at - 1]!) > order) at--;
    this.blocks.splice(at, 0, task);
  }

  unshift(task: Task): void {
    (isBlockTask(task) ? this.blocks : this.txs).unshift(task);
  }

  shift(): Task | null {
    return this.blocks.shift() ?? this.txs.shift() ?? null;
  }

  remove(task: Task): void {
    for (const lane of [this.blocks, this.txs]) {
      const at = lane.indexOf(task);
      if (at >= 0) {
        lane.splice(at, 1);
        return;
      }
    }
  }
}
