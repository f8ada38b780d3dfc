import { describe, expect, it } from 'vitest';
import { BlockFirstQueue } from '../src/task-queue.js';

// piscina queues TaskInfo objects whose `task` is the payload given to run().
const item = (kind: 'block' | 'blocks' | 'txs' | 'sigs', n: number, order?: number) =>
  ({ task: { kind, n, order } }) as never;
const names = (q: BlockFirstQueue) => {
  const out: string[] = [];
  for (let t = q.shift(); t !== null; t = q.shift()) {
    const { kind, n } = (t as unknown as { task: { kind: string; n: number } }).task;
    out.push(`${kind}${n}`);
  }
  return out;
};

describe('BlockFirstQueue', () => {
  it('hands out blocks before transaction batches, each lane in arrival order', () => {
    const q = new BlockFirstQueue();
    q.push(item('txs', 1));
    q.push(item('txs', 2));
    q.push(item('block', 1));
    q.push(item('txs', 3));
    q.push(item('block', 2));
    expect(q.size).toBe(5);
    expect(names(q)).toEqual(['block1', 'block2', 'txs1', 'txs2', 'txs3']);
    expect(q.size).toBe(0);
  });

  it('removes a queued task from its lane and puts a returned one back at the front', () => {
    const q = new BlockFirstQueue();
    const a = item('txs', 1);
    const b = item('block', 1);
    q.push(a);
    q.push(item('txs', 2));
    q.push(b);
    q.remove(a);
    q.unshift(item('txs', 0));
    expect(q.size).toBe(3);
    q.remove(b);
    expect(names(q)).toEqual(['txs0', 'txs2']);
  });

  it('orders block tasks with an order (the heights an import needs) lowest first, behind those without one', () => {
    const q = new BlockFirstQueue();
    q.push(item('blocks', 1, 300)); // a later batch, downloaded first
    q.push(item('txs', 1));
    q.push(item('blocks', 2, 100)); // the batch the import waits on
    q.push(item('block', 3)); // a gossiped block: at once
    q.push(item('blocks', 4, 200));
    q.push(item('sigs', 5)); // votes: at once, after the block that came before them
    q.push(item('blocks', 6, 100)); // same order: behind the earlier one
    expect(names(q)).toEqual(['block3', 'sigs5', 'blocks2', 'blocks6', 'blocks4', 'blocks1', 'txs1']);
  });
});
