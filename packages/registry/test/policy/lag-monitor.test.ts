import { describe, expect, it } from 'vitest';
import { EventLoopLagMonitor } from '../../src/lag-monitor.js';

function manual(opts: ConstructorParameters<typeof EventLoopLagMonitor>[0] = {}) {
  let t = 1000;
  const m = new EventLoopLagMonitor({ resolutionMs: 10, lagThresholdMs: 100, ...opts, now: () => t });
  return {
    m,
    advance: (ms: number) => {
      t += ms;
    },
    now: () => t,
  };
}

describe('EventLoopLagMonitor (injected clock)', () => {
  it('records how late each tick is against the resolution', () => {
    const { m, advance } = manual();
    expect(m.tick()).toBe(0); // first tick: no reference yet
    advance(10);
    expect(m.tick()).toBe(0);
    advance(160);
    expect(m.tick()).toBe(150);
    advance(5); // early ticks count as no lag
    expect(m.tick()).toBe(0);
  });

  it('lagSince covers only samples after the start, and isLagging the latest', () => {
    const { m, advance, now } = manual();
    m.tick();
    advance(310);
    m.tick(); // 300 ms lag
    expect(m.isLagging()).toBe(true);
    const start = now();
    advance(10);
    m.tick();
    expect(m.isLagging()).toBe(false);
    expect(m.lagSince(start)).toBe(0);
    expect(m.excusesTimeout(start)).toBe(false);
    expect(m.lagSince(start - 1)).toBe(300);
    expect(m.excusesTimeout(start - 1)).toBe(true);
  });

  it('counts the stall in progress before the next tick has run', () => {
    const { m, advance, now } = manual();
    m.tick();
    const start = now();
    advance(500); // a timeout callback runs now, before the monitor's late tick
    expect(m.lagSince(start)).toBe(490);
    expect(m.excusesTimeout(start)).toBe(true);
    expect(m.isLagging()).toBe(true);
  });

  it('keeps a bounded ring of samples', () => {
    const { m, advance, now } = manual({ historyMs: 100 }); // 10 samples
    m.tick();
    advance(1010); // a 1000 ms lag, then it scrolls out of the ring
    m.tick();
    const old = now() - 1;
    for (let i = 0; i < 20; i++) {
      advance(10);
      m.tick();
    }
    expect(m.size()).toBe(10);
    expect(m.lagSince(old)).toBe(0);
  });

  it('record accepts lag measured elsewhere', () => {
    const { m, now } = manual();
    m.record(now(), 250);
    expect(m.lagSince(now() - 1)).toBe(250);
  });

  it('validates options', () => {
    expect(() => new EventLoopLagMonitor({ resolutionMs: 0 })).toThrow(RangeError);
    expect(() => new EventLoopLagMonitor({ lagThresholdMs: 0 })).toThrow(RangeError);
    expect(() => new EventLoopLagMonitor({ resolutionMs: 50, historyMs: 10 })).toThrow(RangeError);
  });
});

describe('EventLoopLagMonitor (real timer)', () => {
  it('start/stop are idempotent and the timer does not hold the process open', () => {
    const m = new EventLoopLagMonitor();
    m.start();
    m.start();
    expect(m.running).toBe(true);
    const timer = (m as unknown as { timer: NodeJS.Timeout }).timer;
    expect(timer.hasRef()).toBe(false);
    m.stop();
    m.stop();
    expect(m.running).toBe(false);
  });

  it('sees a synchronous block of the loop', async () => {
    // A lower bound only: blocking 300 ms makes the tick at least 250 ms late on any machine.
    const m = new EventLoopLagMonitor({ resolutionMs: 10, lagThresholdMs: 200 });
    m.start();
    try {
      const start = m.now();
      const until = performance.now() + 300;
      while (performance.now() < until) {
        // busy: the event loop cannot run the monitor's timer
      }
      expect(m.excusesTimeout(start)).toBe(true); // the stall in progress
      for (let i = 0; i < 100 && m.size() < 2; i++) await new Promise((r) => setTimeout(r, 10));
      expect(m.lagSince(start)).toBeGreaterThanOrEqual(250);
    } finally {
      m.stop();
    }
  });
});
