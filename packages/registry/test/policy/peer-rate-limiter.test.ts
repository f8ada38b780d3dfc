import { MESSAGE_KINDS } from '@tc/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RATE_QUOTA,
  DEFAULT_RATE_QUOTAS,
  PeerRateLimiter,
  type PeerRateLimiterOptions,
} from '../../src/rate-limiter/index.js';

function clock(start = 0) {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

function limiter(extra: Partial<PeerRateLimiterOptions> = {}) {
  const c = clock();
  const l = new PeerRateLimiter({
    quotas: { ping: { ratePerSec: 1, burst: 2 }, getBlockRange: { ratePerSec: 100, burst: 100 } },
    defaultQuota: { ratePerSec: 10, burst: 3 },
    now: c.now,
    ...extra,
  });
  return { c, l };
}

describe('DEFAULT_RATE_QUOTAS', () => {
  it('has a usable quota for every request kind and the gossip kinds of @tc/wire', () => {
    const requestKinds = MESSAGE_KINDS.filter((k) => k.startsWith('get') || k === 'ping');
    expect(requestKinds.length).toBeGreaterThanOrEqual(6);
    for (const kind of [...requestKinds, 'blockAnnounce', 'txBroadcast']) {
      const q = DEFAULT_RATE_QUOTAS[kind];
      expect(q, kind).toBeDefined();
      expect(q!.ratePerSec).toBeGreaterThan(0);
      expect(q!.burst).toBeGreaterThanOrEqual(1);
    }
    for (const kind of Object.keys(DEFAULT_RATE_QUOTAS)) expect(MESSAGE_KINDS).toContain(kind);
  });

  it('builds a limiter from the defaults', () => {
    const l = new PeerRateLimiter({ quotas: DEFAULT_RATE_QUOTAS, defaultQuota: DEFAULT_RATE_QUOTA });
    expect(l.allow('p', 'getBlockRange', 1000)).toBe(true);
    expect(l.allow('p', 'getBlockRange', 1001)).toBe(false);
  });
});

describe('PeerRateLimiter', () => {
  it('limits per peer and per kind, independently', () => {
    const { l } = limiter();
    expect(l.allow('p1', 'ping')).toBe(true);
    expect(l.allow('p1', 'ping')).toBe(true);
    expect(l.allow('p1', 'ping')).toBe(false);
    expect(l.allow('p2', 'ping')).toBe(true); // another peer
    expect(l.allow('p1', 'getChainTip')).toBe(true); // another kind (default quota)
  });

  it('weights by cost', () => {
    const { c, l } = limiter();
    expect(l.allow('p', 'getBlockRange', 60)).toBe(true);
    expect(l.allow('p', 'getBlockRange', 60)).toBe(false);
    c.advance(200); // 20 blocks of credit back
    expect(l.allow('p', 'getBlockRange', 60)).toBe(true);
  });

  it('gives kinds it does not know one shared default bucket (bounded)', () => {
    const { l } = limiter();
    expect(l.allow('p', 'fromTheFuture1')).toBe(true);
    expect(l.allow('p', 'fromTheFuture2')).toBe(true);
    expect(l.allow('p', 'fromTheFuture3')).toBe(true);
    expect(l.allow('p', 'fromTheFuture4')).toBe(false);
  });

  it('enforces the global per-kind quota across peers, spending nothing on refusal', () => {
    const { c, l } = limiter({
      defaultQuota: { ratePerSec: 1, burst: 5 },
      globalQuota: { ratePerSec: 1, burst: 3 },
      globalQuotas: { getPeers: { ratePerSec: 1, burst: 1 } },
    });
    expect(l.allow('a', 'getChainTip')).toBe(true);
    expect(l.allow('b', 'getChainTip')).toBe(true);
    expect(l.allow('c', 'getChainTip')).toBe(true);
    expect(l.check('d', 'getChainTip')).toBe('limit'); // global bucket empty
    expect(l.allow('d', 'getBlockHash')).toBe(true); // other kinds have their own global bucket
    expect(l.allow('a', 'getPeers')).toBe(true);
    expect(l.allow('b', 'getPeers')).toBe(false); // per-kind global override
    c.advance(1000);
    // 'd' was refused by the global bucket, so its own bucket still holds its full burst.
    expect(l.allow('d', 'getChainTip')).toBe(true);
  });

  it('reports abuse only once refused cost overflows abuseFactor × the quota', () => {
    // ping: 1/s, burst 2 (see limiter()); abuseFactor 3 → refusals may reach burst 6, 3/s.
    const { c, l } = limiter({ abuseFactor: 3 });
    l.allow('p', 'ping');
    l.allow('p', 'ping');
    for (let i = 0; i < 6; i++) expect(l.check('p', 'ping')).toBe('limit');
    expect(l.consecutiveRefusals('p')).toBe(6);
    expect(l.check('p', 'ping')).toBe('abuse');
    c.advance(1000);
    expect(l.check('p', 'ping')).toBe('allow');
    expect(l.consecutiveRefusals('p')).toBe(0);
  });

  it('an honest peer that keeps to about its quota is never told abuse', () => {
    const { c, l } = limiter();
    // Sends at twice the ping quota for 10 minutes: half is refused, none of it is abuse.
    for (let t = 0; t < 600; t++) {
      expect(l.check('p', 'ping')).not.toBe('abuse');
      expect(l.check('p', 'ping')).not.toBe('abuse');
      c.advance(1000);
    }
  });

  it('forget drops a peer everywhere', () => {
    const { l } = limiter();
    l.allow('p', 'ping');
    l.allow('p', 'ping');
    l.check('p', 'ping');
    expect(l.trackedPeers('ping')).toBe(1);
    l.forget('p');
    expect(l.trackedPeers('ping')).toBe(0);
    expect(l.consecutiveRefusals('p')).toBe(0);
    expect(l.allow('p', 'ping')).toBe(true);
  });

  it('bounds peers per kind with maxPeers', () => {
    const { l } = limiter({ maxPeers: 10 });
    for (let i = 0; i < 100; i++) l.allow(`p${i}`, 'ping');
    for (let i = 0; i < 100; i++) l.check(`q${i}`, 'getPeers', 1e9); // refused: fills refusal map
    expect(l.trackedPeers('ping')).toBe(10);
  });

  it('rejects bad configuration at construction', () => {
    expect(() => limiter({ defaultQuota: { ratePerSec: 0, burst: 1 } })).toThrow(RangeError);
    expect(() => limiter({ quotas: { ping: { ratePerSec: 1, burst: 0 } } })).toThrow(RangeError);
    expect(() => limiter({ globalQuota: { ratePerSec: -1, burst: 1 } })).toThrow(RangeError);
    expect(() => limiter({ abuseFactor: 0.5 })).toThrow(RangeError);
    expect(() => limiter({ maxPeers: 0 })).toThrow(RangeError);
  });

  it('property: per peer and kind, allowed cost ≤ burst + rate·t; global caps the sum', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            gap: fc.integer({ min: 0, max: 300 }),
            peer: fc.constantFrom('a', 'b', 'c'),
            cost: fc.integer({ min: 1, max: 20 }),
          }),
          { minLength: 1, maxLength: 300 },
        ),
        (events) => {
          const c = clock();
          const peerQuota = { ratePerSec: 50, burst: 40 };
          const globalQuota = { ratePerSec: 80, burst: 60 };
          const l = new PeerRateLimiter({
            quotas: { getBlockRange: peerQuota },
            defaultQuota: DEFAULT_RATE_QUOTA,
            globalQuota,
            now: c.now,
          });
          const perPeer = new Map<string, number>();
          let total = 0;
          for (const e of events) {
            c.advance(e.gap);
            if (l.allow(e.peer, 'getBlockRange', e.cost)) {
              perPeer.set(e.peer, (perPeer.get(e.peer) ?? 0) + e.cost);
              total += e.cost;
            }
          }
          const t = c.now();
          const within = (sum: number, q: { ratePerSec: number; burst: number }) =>
            sum <= q.burst + (q.ratePerSec * t) / 1000 + 1e-6;
          return [...perPeer.values()].every((s) => within(s, peerQuota)) && within(total, globalQuota);
        },
      ),
      { numRuns: 200 },
    );
  });
});
