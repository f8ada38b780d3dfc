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
 * The pool's queue: blocks before transaction batches, each in arrival order. A block gates
 * the chain (the next leader cannot build on it, the tip cannot move) while a transaction
 * batch only delays one admission, so a block that waited behind a burst of gossip batches
 * turned into a missed slot and a fork at 250 ms slots. Both lanes together hold at most the
 * pool's `maxQueue` tasks (piscina checks `size` before `push`).
 */
export class BlockFirstQueue implements TaskQueue {
  // Arrays with shift(): both lanes together are bounded by maxQueue (64 by default).
  private readonly blocks: Task[] = [];
  private readonly txs: Task[] = [];

  get size(): number {
    return this.blocks.length + this.txs.length;
  }

  push(task: Task): void {
    (isBlockTask(task) ? this.blocks : this.txs).push(task);
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
