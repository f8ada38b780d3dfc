import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GcraLimiter } from '../../src/rate-limiter/gcra.js';

/** A manual clock: tests move time, nothing waits. */
function clock(start = 1_000_000) {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
    set: (ms: number) => {
      t = ms;
    },
  };
}

describe('GcraLimiter', () => {
  it('allows exactly the burst from idle, then one token per emission interval', () => {
    const c = clock();
    const limiter = new GcraLimiter({ ratePerSec: 10, burst: 5 }, c.now);
    for (let i = 0; i < 5; i++) expect(limiter.allow('a')).toBe(true);
    expect(limiter.allow('a')).toBe(false);
    c.advance(99);
    expect(limiter.allow('a')).toBe(false);
    c.advance(1);
    expect(limiter.allow('a')).toBe(true);
    expect(limiter.allow('a')).toBe(false);
  });

  it('keys are independent', () => {
    const c = clock();
    const limiter = new GcraLimiter({ ratePerSec: 1, burst: 1 }, c.now);
    expect(limiter.allow('a')).toBe(true);
    expect(limiter.allow('a')).toBe(false);
    expect(limiter.allow('b')).toBe(true);
  });

  it('charges weighted costs and refuses a cost above the burst outright', () => {
    const c = clock();
    const limiter = new GcraLimiter({ ratePerSec: 100, burst: 50 }, c.now);
    expect(limiter.allow('a', 30)).toBe(true);
    expect(limiter.allow('a', 30)).toBe(false); // only 20 left; the refusal spends nothing
    expect(limiter.allow('a', 20)).toBe(true);
    c.advance(60_000);
    expect(limiter.allow('a', 51)).toBe(false);
    expect(limiter.msUntilAllowed('a', 51)).toBe(Number.POSITIVE_INFINITY);
    expect(limiter.allow('a', 50)).toBe(true);
  });

  it('charges NaN, zero and negative costs as 1', () => {
    const c = clock();
    const limiter = new GcraLimiter({ ratePerSec: 1, burst: 3 }, c.now);
    expect(limiter.allow('a', Number.NaN)).toBe(true);
    expect(limiter.allow('a', 0)).toBe(true);
    expect(limiter.allow('a', -5)).toBe(true);
    expect(limiter.allow('a')).toBe(false);
  });

  it('wouldAllow does not spend and msUntilAllowed predicts the next success', () => {
    const c = clock();
    const limiter = new GcraLimiter({ ratePerSec: 4, burst: 2 }, c.now);
    expect(limiter.wouldAllow('a', 2)).toBe(true);
    expect(limiter.wouldAllow('a', 2)).toBe(true);
    expect(limiter.allow('a', 2)).toBe(true);
    expect(limiter.wouldAllow('a')).toBe(false);
    const wait = limiter.msUntilAllowed('a');
    expect(wait).toBeCloseTo(250);
    c.advance(wait - 1);
    expect(limiter.allow('a')).toBe(false);
    c.advance(1);
    expect(limiter.allow('a')).toBe(true);
  });

  it('bounds its keys, dropping the least recently used', () => {
    const c = clock();
    const limiter = new GcraLimiter({ ratePerSec: 1, burst: 1 }, c.now, { maxKeys: 3 });
    for (const k of ['a', 'b', 'c']) expect(limiter.allow(k)).toBe(true);
    expect(limiter.allow('a')).toBe(false); // refusals do not refresh recency
    expect(limiter.allow('d')).toBe(true); // evicts 'a', the least recently allowed
    expect(limiter.size()).toBe(3);
    expect(limiter.allow('b')).toBe(false);
    expect(limiter.allow('a')).toBe(true); // 'a' starts over from a full burst, never more
    expect(limiter.size()).toBe(3);
  });

  it('forget and prune drop state', () => {
    const c = clock();
    const limiter = new GcraLimiter({ ratePerSec: 1, burst: 2 }, c.now);
    limiter.allow('a');
    limiter.allow('b', 2);
    limiter.forget('a');
    expect(limiter.size()).toBe(1);
    c.advance(1_000);
    expect(limiter.prune()).toBe(0); // 'b' still owes a second
    c.advance(1_000);
    expect(limiter.prune()).toBe(1);
    expect(limiter.size()).toBe(0);
  });

  it('rejects unusable quotas at construction', () => {
    expect(() => new GcraLimiter({ ratePerSec: 0, burst: 1 })).toThrow(RangeError);
    expect(() => new GcraLimiter({ ratePerSec: 1, burst: 0.5 })).toThrow(RangeError);
    expect(() => new GcraLimiter({ ratePerSec: Number.NaN, burst: 1 })).toThrow(RangeError);
    expect(() => new GcraLimiter({ ratePerSec: 1, burst: 1 }, Date.now, { maxKeys: 0 })).toThrow(RangeError);
  });

  it('property: allowed cost over any window never exceeds burst + rate·t', () => {
    fc.assert(
      fc.property(
        fc.record({
          ratePerSec: fc.integer({ min: 1, max: 1000 }),
          burst: fc.integer({ min: 1, max: 200 }),
        }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 500 }), fc.integer({ min: 1, max: 50 })), {
          minLength: 1,
          maxLength: 200,
        }),
        (quota, steps) => {
          const c = clock(0);
          const limiter = new GcraLimiter(quota, c.now);
          const allowed: Array<{ t: number; cost: number }> = [];
          for (const [gap, cost] of steps) {
            c.advance(gap);
            if (limiter.allow('k', cost)) allowed.push({ t: c.now(), cost });
          }
          // Every window [allowed[i].t, allowed[j].t] holds at most burst + rate·(t_j − t_i).
          for (let i = 0; i < allowed.length; i++) {
            let sum = 0;
            for (let j = i; j < allowed.length; j++) {
              sum += allowed[j]!.cost;
              const window = allowed[j]!.t - allowed[i]!.t;
              const bound = quota.burst + (quota.ratePerSec * window) / 1000;
              if (sum > bound + 1e-6 * bound) return false;
            }
          }
          return true;
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: a caller that waits msUntilAllowed is always allowed (no starvation)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 1, max: 100 }),
        fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 50 }),
        (ratePerSec, burst, costs) => {
          const c = clock(0);
          const limiter = new GcraLimiter({ ratePerSec, burst }, c.now);
          for (const raw of costs) {
            const cost = Math.min(raw, burst);
            c.advance(limiter.msUntilAllowed('k', cost));
            if (!limiter.allow('k', cost)) return false;
          }
          return true;
        },
      ),
      { numRuns: 200 },
    );
  });
});
