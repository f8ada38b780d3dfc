import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_SCORE, MIN_SCORE, PeerScoreBook } from '../../src/peer-score/index.js';

const MIN = 60_000;

function book(opts: ConstructorParameters<typeof PeerScoreBook>[0] = {}) {
  let t = 0;
  const b = new PeerScoreBook({ now: () => t, ...opts });
  return {
    b,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

describe('PeerScoreBook', () => {
  it('starts at 0 and decays with the half-life (10 min by default)', () => {
    const { b, advance } = book();
    expect(b.score('p')).toBe(0);
    expect(b.add('p', -40, 'x')).toBe('disconnect');
    advance(10 * MIN);
    expect(b.score('p')).toBeCloseTo(-20);
    advance(10 * MIN);
    expect(b.score('p')).toBeCloseTo(-10);
    expect(b.verdict('p')).toBe('ok');
  });

  it('verdicts: below −20 disconnect, below −50 ban (strictly below)', () => {
    const { b } = book();
    expect(b.add('p', -20, 'a')).toBe('ok');
    expect(b.add('p', -1, 'a')).toBe('disconnect');
    expect(b.add('p', -29, 'a')).toBe('disconnect'); // exactly −50
    expect(b.add('p', -1, 'a')).toBe('ban');
    expect(b.lastReason('p')).toBe('a');
  });

  it('clamps to −100..100 and ignores non-finite deltas', () => {
    const { b } = book();
    b.add('p', 500, 'good');
    expect(b.score('p')).toBe(MAX_SCORE);
    b.add('p', -1000, 'bad');
    expect(b.score('p')).toBe(MIN_SCORE);
    b.add('p', Number.NaN, 'nan');
    b.add('p', Number.POSITIVE_INFINITY, 'inf');
    expect(b.score('p')).toBe(MIN_SCORE);
    expect(b.lastReason('p')).toBe('bad');
  });

  it('custom thresholds and half-life; invalid options throw', () => {
    const { b, advance } = book({ halfLifeMs: 1000, disconnectBelow: -5, banBelow: -10 });
    expect(b.add('p', -6, 'x')).toBe('disconnect');
    advance(1000);
    expect(b.verdict('p')).toBe('ok');
    expect(b.add('p', -8, 'x')).toBe('ban');
    expect(() => new PeerScoreBook({ halfLifeMs: 0 })).toThrow(RangeError);
    expect(() => new PeerScoreBook({ disconnectBelow: -60, banBelow: -50 })).toThrow(RangeError);
    expect(() => new PeerScoreBook({ maxEntries: 0 })).toThrow(RangeError);
  });

  it('remembers a bad score across forget (reconnecting does not wash it)', () => {
    const { b, advance } = book();
    b.add('bad', -30, 'x');
    b.add('good', 10, 'y');
    b.add('meh', -0.5, 'z');
    b.forget('bad');
    b.forget('good');
    b.forget('meh');
    expect(b.size()).toBe(1);
    expect(b.score('bad')).toBeCloseTo(-30);
    expect(b.score('good')).toBe(0);
    expect(b.liveScores()).toEqual([]);
    expect(b.snapshot()).toMatchObject([{ peerId: 'bad', connected: false }]);
    // Reconnects and offends again: the old score still counts.
    expect(b.add('bad', -25, 'x')).toBe('ban');
    expect(b.snapshot()[0]?.connected).toBe(true);
    b.forget('bad');
    advance(120 * MIN);
    expect(b.prune()).toBe(1);
    expect(b.size()).toBe(0);
  });

  it('is bounded: evicts remembered peers first, then the stalest live one', () => {
    const { b } = book({ maxEntries: 3 });
    b.add('old', -30, 'x');
    b.forget('old');
    b.add('a', -1, 'x');
    b.add('b', -1, 'x');
    b.add('c', -1, 'x'); // evicts remembered 'old', not live 'a'
    expect(b.size()).toBe(3);
    expect(b.score('old')).toBe(0);
    expect(b.score('a')).toBe(-1);
    b.add('d', -1, 'x'); // no remembered left: evicts 'a', the least recently updated
    expect(b.size()).toBe(3);
    expect(b.score('a')).toBe(0);
    expect(b.score('b')).toBe(-1);
  });

  it('property: scores stay in range, and with no new deltas |score| never grows', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            gap: fc.integer({ min: 0, max: 30 * MIN }),
            peer: fc.constantFrom('a', 'b', 'c', 'd'),
            delta: fc.double({ min: -150, max: 150, noNaN: true }),
            forget: fc.boolean(),
          }),
          { maxLength: 100 },
        ),
        (events) => {
          const { b, advance } = book({ maxEntries: 3 });
          for (const e of events) {
            advance(e.gap);
            b.add(e.peer, e.delta, 'r');
            if (e.forget) b.forget(e.peer);
            if (b.size() > 3) return false;
            for (const p of ['a', 'b', 'c', 'd']) {
              const before = b.score(p);
              if (before < MIN_SCORE || before > MAX_SCORE) return false;
              advance(1);
              if (Math.abs(b.score(p)) > Math.abs(before)) return false;
            }
          }
          return true;
        },
      ),
      { numRuns: 200 },
    );
  });
});
