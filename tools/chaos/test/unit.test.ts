import { describe, expect, it } from 'vitest';
import { GROWTH_RULES, growth, lastHealMs, makeSchedule, promValue } from '../src/index.js';

describe('fault schedule', () => {
  it('is a pure function of the seed and keeps its constraints', () => {
    const a = makeSchedule({ seed: 42, nodes: 6, faultsMs: 100_000 });
    expect(makeSchedule({ seed: 42, nodes: 6, faultsMs: 100_000 })).toEqual(a);
    expect(makeSchedule({ seed: 43, nodes: 6, faultsMs: 100_000 })).not.toEqual(a);
    const p = a.find((e) => e.kind === 'partition');
    if (p?.kind !== 'partition') throw new Error('no partition');
    expect(p.groups[0].length).toBeGreaterThanOrEqual(2);
    expect(p.groups[1].length).toBeGreaterThanOrEqual(2);
    expect([...p.groups[0], ...p.groups[1]].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(a.filter((e) => e.kind === 'kill').length).toBeGreaterThanOrEqual(5);
    expect(a.some((e) => e.kind === 'slow')).toBe(true);
    expect(lastHealMs(a)).toBeLessThanOrEqual(100_000);
    expect(a.some((e) => e.kind === 'corrupt')).toBe(false);
    const withCorrupt = makeSchedule({ seed: 42, nodes: 6, faultsMs: 100_000, corrupt: true });
    expect(withCorrupt.filter((e) => e.kind === 'corrupt')).toHaveLength(1);
    // one node down at a time
    const kills = a.filter((e) => e.kind === 'kill');
    for (let i = 1; i < kills.length; i++) {
      const prev = kills[i - 1];
      const cur = kills[i];
      if (prev?.kind === 'kill' && cur) expect(cur.atMs).toBeGreaterThan(prev.atMs + prev.downMs);
    }
  });
});

describe('growth test', () => {
  const series = (f: (i: number) => number) =>
    Array.from({ length: 40 }, (_, i) => ({ t: i * 5000, v: f(i) }));
  it('flags steady growth', () => {
    expect(
      growth(
        'rss',
        series((i) => 100e6 + i * 2e6),
        GROWTH_RULES.rss,
      ).grows,
    ).toBe(true);
    expect(
      growth(
        'handles',
        series((i) => 10 + i),
        GROWTH_RULES.handles,
      ).grows,
    ).toBe(true);
  });
  it('does not flag a flat series with GC sawtooth and spikes', () => {
    expect(
      growth(
        'heapUsed',
        series((i) => 20e6 + (i % 5) * 3e6 + (i === 30 ? 40e6 : 0)),
        GROWTH_RULES.heapUsed,
      ).grows,
    ).toBe(false);
    expect(
      growth(
        'handles',
        series(() => 8),
        GROWTH_RULES.handles,
      ).grows,
    ).toBe(false);
  });
});

describe('promValue', () => {
  it('sums labelled series and filters by label', () => {
    const text = [
      '# HELP tc_registry_connections x',
      'tc_registry_connections{direction="inbound"} 2',
      'tc_registry_connections{direction="outbound"} 3',
      'tc_node_event_loop_lag_seconds{stat="p50"} 0.001',
      'tc_node_event_loop_lag_seconds{stat="p99"} 0.02',
      'tc_node_nodejs_active_handles{type="Socket"} 4',
      'tc_node_nodejs_active_handles_total 7',
    ].join('\n');
    expect(promValue(text, 'tc_registry_connections')).toBe(5);
    expect(promValue(text, 'tc_node_event_loop_lag_seconds', 'stat="p99"')).toBe(0.02);
    expect(promValue(text, 'tc_node_nodejs_active_handles_total')).toBe(7);
    expect(promValue(text, 'tc_missing')).toBeUndefined();
  });
});
