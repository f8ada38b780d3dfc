import { FrameDecoder, MalformedFrameError } from '@tc/wire';
import { describe, expect, it } from 'vitest';
import {
  CASE_NAMES,
  formatReport,
  HostileOptionError,
  type HostileReport,
  judge,
  type LatencyStats,
  malformedFrame,
  percentile,
  prng,
} from '../src/index.js';
import { resolveOptions } from '../src/options.js';

const stats = (p99Ms: number, over: Partial<LatencyStats> = {}): LatencyStats => ({
  samples: 100,
  failures: 0,
  failureCodes: {},
  p50Ms: p99Ms / 2,
  p99Ms,
  maxMs: p99Ms,
  sessionsLost: 0,
  selfLagP99Ms: 0,
  durationMs: 1_000,
  ...over,
});

describe('latency rule', () => {
  it('nearest-rank percentiles', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 99)).toBe(0);
    expect(percentile([1, 2, 3], 99)).toBe(3); // under 100 samples p99 is the maximum
  });

  it('limit is max(factor × baseline p99, floor)', () => {
    const o = { honestFactor: 5, latencyFloorMs: 25 };
    expect(judge(stats(24), stats(1), o)).toMatchObject({ limitMs: 25, ok: true, ratio: 24 });
    expect(judge(stats(26), stats(1), o)).toMatchObject({ limitMs: 25, ok: false });
    expect(judge(stats(49), stats(10), o)).toMatchObject({ limitMs: 50, ok: true });
    expect(judge(stats(51), stats(10), o)).toMatchObject({ ok: false });
  });

  it('a failed honest request, no answer at all, or a slow reconnect fails the check', () => {
    const o = { honestFactor: 5, latencyFloorMs: 25 };
    expect(judge(stats(1, { failures: 1 }), stats(1), o).ok).toBe(false);
    expect(judge(stats(0, { samples: 0 }), stats(1), o).ok).toBe(false);
    expect(judge(stats(1), stats(1), o, 900).ok).toBe(false);
    expect(judge(stats(1), stats(1), o, 3)).toMatchObject({ ok: true, reconnectMs: 3 });
  });
});

describe('garbage', () => {
  it('is reproducible and always a malformed frame (never too large, never decodable)', () => {
    const a = prng(7);
    const b = prng(7);
    for (let i = 0; i < 50; i++) {
      const frame = malformedFrame(a);
      expect(frame).toEqual(malformedFrame(b));
      expect(new DataView(frame.buffer).getUint32(0)).toBe(frame.length - 4);
      expect(() => [...new FrameDecoder().push(frame)]).toThrow(MalformedFrameError);
    }
  });
});

describe('options', () => {
  const base = { target: { host: '127.0.0.1', port: 1 }, networkId: 'n', genesisHash: 'ab'.repeat(32) };

  it('defaults: every case in order, factor 5, floor 25 ms, storm 1 000', () => {
    const o = resolveOptions(base);
    expect(o.cases).toEqual(CASE_NAMES);
    expect([o.honestFactor, o.latencyFloorMs, o.storm.connections]).toEqual([5, 25, 1_000]);
    expect(o.storm.holdMs).toBe(6_000);
    expect(o.genesisHash).toEqual(new Uint8Array(32).fill(0xab));
  });

  it('runs the chosen cases in the fixed order', () => {
    expect(resolveOptions({ ...base, cases: ['stolen-identity', 'garbage'] }).cases).toEqual([
      'garbage',
      'stolen-identity',
    ]);
  });

  it('refuses bad input with typed errors', () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return e instanceof HostileOptionError ? e.code : 'other';
      }
      return 'none';
    };
    expect(code(() => resolveOptions({ ...base, genesisHash: 'abcd' }))).toBe('BAD_OPTION');
    expect(code(() => resolveOptions({ ...base, genesisHash: 'zz'.repeat(32) }))).toBe('BAD_OPTION');
    expect(code(() => resolveOptions({ ...base, honestFactor: 0 }))).toBe('BAD_OPTION');
    expect(code(() => resolveOptions({ ...base, cases: ['nope' as never] }))).toBe('UNKNOWN_CASE');
  });
});

describe('report', () => {
  it('prints a row per case and the verdict', () => {
    const baseline = stats(1);
    const report: HostileReport = {
      target: '127.0.0.1:1',
      networkId: 'n',
      startedAt: new Date(0).toISOString(),
      durationMs: 1_000,
      honestFactor: 5,
      latencyFloorMs: 25,
      probe: { kind: 'getChainTip', intervalMs: 10, nodeId: 'ab', inWorker: false },
      baseline,
      passed: false,
      cases: [
        {
          name: 'request-flood',
          reaction: 'rate-limit+disconnect',
          reactions: ['rate-limit', 'disconnect'],
          expected: 'x',
          detail: 'flooded',
          reactionOk: true,
          honest: judge(stats(40), baseline, { honestFactor: 5, latencyFloorMs: 25 }),
          honestSessionSurvived: true,
          pass: false,
          addressBanned: false,
          durationMs: 5,
          data: {},
        },
      ],
    };
    const text = formatReport(report);
    expect(text).toMatch(
      /request-flood\s+rate-limit\+disconnect\s+20\.00 ms\s+40\.00 ms\s+1\.00 ms\s+40\.0×\s+25\.00 ms/,
    );
    expect(text).toContain('honest p99 40.00 ms over limit 25.00 ms');
    expect(text.trimEnd().endsWith('FAIL')).toBe(true);
  });
});
