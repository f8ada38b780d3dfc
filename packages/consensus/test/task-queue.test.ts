import { describe, expect, it } from 'vitest';
import { BlockFirstQueue } from '../src/task-queue.js';

// piscina queues TaskInfo objects whose `task` is the payload given to run().
const item = (kind: 'block' | 'txs', n: number) => ({ task: { kind, n } }) as never;
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
});
