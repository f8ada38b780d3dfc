import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { busyShare, machineTicks, processCpu } from '../src/cpu-use.mjs';

describe.runIf(process.platform === 'linux')('cpu-use (/proc)', () => {
  it("counts this process's main-thread CPU apart from its other threads, and the machine's busy share", () => {
    const ticks = machineTicks();
    const before = processCpu(process.pid);
    // Work on this thread only, bounded by count: 64 MiB hashed, far above one 10 ms tick.
    const block = Buffer.alloc(1 << 20, 7);
    const hash = createHash('sha256');
    for (let i = 0; i < 64; i++) hash.update(block);
    hash.digest();
    const after = processCpu(process.pid);
    expect(after.main).toBeGreaterThan(before.main);
    expect(after.others).toBeGreaterThanOrEqual(before.others);
    const share = busyShare(ticks, machineTicks());
    expect(share).toBeGreaterThan(0);
    expect(share).toBeLessThanOrEqual(1);
  });

  it('reads a process that is gone as no CPU, not an error', () => {
    expect(processCpu(2 ** 22 + 12345)).toEqual({ main: 0, others: 0 });
  });
});
