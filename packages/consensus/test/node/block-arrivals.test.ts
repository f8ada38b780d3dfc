import { describe, expect, it } from 'vitest';
import { type BlockArrival, BlockArrivals } from '../../src/internal.js';

const arrival = (height: number): BlockArrival => ({
  hash: height.toString(16).padStart(64, '0'),
  height,
  blockTimeMs: 1_000 * height,
  connectedAtMs: 1_000 * height + 50,
  source: height % 2 === 0 ? 'peer' : 'local',
  ...(height % 2 === 0 ? { fromPeer: 'ab'.repeat(32) } : {}),
});

describe('BlockArrivals (the ring behind getblockarrivals)', () => {
  it('keeps the newest `capacity` arrivals, oldest first, and lists the newest `limit`', () => {
    const ring = new BlockArrivals(4);
    expect(ring.list()).toEqual([]);
    for (let h = 1; h <= 3; h++) ring.record(arrival(h));
    expect(ring.list().map((a) => a.height)).toEqual([1, 2, 3]);
    for (let h = 4; h <= 10; h++) ring.record(arrival(h));
    expect(ring.list().map((a) => a.height)).toEqual([7, 8, 9, 10]);
    expect(ring.list(2).map((a) => a.height)).toEqual([9, 10]);
    expect(ring.list(100).map((a) => a.height)).toEqual([7, 8, 9, 10]);
    expect(ring.list(0)).toEqual([]);
    expect(ring.list(-3)).toEqual([]);
    expect(ring.list().at(-1)).toEqual(arrival(10));
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new BlockArrivals(0)).toThrow(RangeError);
    expect(() => new BlockArrivals(1.5)).toThrow(RangeError);
  });
});
