import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { ReconnectQueue } from '../../src/connect/reconnect-queue.js';

describe('reconnect backoff', () => {
  it('stays within [0.5, 1] × min(max, base · 2^n)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 60 }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        (n, r) => {
          const q = new ReconnectQueue({
            baseMs: 1000,
            maxMs: 300_000,
            stableMs: 10_000,
            dial: async () => undefined,
            isConnected: () => true,
            random: () => r,
          });
          const cap = Math.min(300_000, 1000 * 2 ** n);
          const d = q.delayFor(n);
          return d >= Math.floor(cap * 0.5) && d <= cap;
        },
      ),
    );
  });

  it('one owner per address: repeated losses schedule one timer, not many', async () => {
    vi.useFakeTimers();
    try {
      let dials = 0;
      const q = new ReconnectQueue({
        baseMs: 10,
        maxMs: 20,
        stableMs: 1000,
        random: () => 1, // delays 10, 20, 20, … ms exactly
        now: () => Date.now(),
        dial: async () => {
          dials++;
          throw new Error('down');
        },
        isConnected: () => false,
      });
      q.add('127.0.0.1:1');
      for (let i = 0; i < 50; i++) q.lost('127.0.0.1:1');
      await vi.advanceTimersByTimeAsync(50);
      q.stop();
      // The dial at add, then one timer at a time: at 10, 30 and 50 ms. Fifty losses, one owner.
      expect(dials).toBe(4);
    } finally {
      vi.useRealTimers();
    }
  });
});
