import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createRegistryMetrics, kindLabel, REQUEST_OUTCOMES } from '../../src/metrics.js';

const metricsDoc = readFileSync(new URL('../../docs/METRICS.md', import.meta.url), 'utf8');

async function json(register: Registry) {
  return register.getMetricsAsJSON();
}

describe('createRegistryMetrics', () => {
  it('registers every metric on the given registry only, with conventional names', async () => {
    const register = new Registry();
    createRegistryMetrics(register);
    const metrics = await json(register);
    expect(metrics.length).toBeGreaterThanOrEqual(15);
    for (const m of metrics) {
      expect(m.name).toMatch(/^tc_registry_[a-z_]+$/);
      const type = String(m.type); // prom-client types say enum; at runtime it is the name
      if (type === 'counter') expect(m.name).toMatch(/_total$/);
      if (type === 'histogram') expect(m.name).toMatch(/_seconds$|_bytes$/);
      expect(m.help.length).toBeGreaterThan(0);
    }
    const names = metrics.map((m) => m.name);
    for (const name of [
      'tc_registry_connections',
      'tc_registry_connection_events_total',
      'tc_registry_requests_total',
      'tc_registry_request_seconds',
      'tc_registry_rtt_seconds',
      'tc_registry_bytes_total',
      'tc_registry_messages_total',
      'tc_registry_queued_bytes',
      'tc_registry_rate_limited_total',
      'tc_registry_bans_total',
      'tc_registry_disconnects_total',
      'tc_registry_peer_score',
      'tc_registry_handshake_failures_total',
      'tc_registry_dials_total',
    ]) {
      expect(names).toContain(name);
    }
    // Two registries are independent; the same one twice is a programming error.
    expect(() => createRegistryMetrics(new Registry())).not.toThrow();
    expect(() => createRegistryMetrics(register)).toThrow();
  });

  it('docs/METRICS.md documents every metric, and nothing that does not exist', async () => {
    const register = new Registry();
    createRegistryMetrics(register);
    const names = (await json(register)).map((m) => m.name).sort();
    for (const name of names) expect(metricsDoc, name).toContain(`\`${name}\``);
    const documented = [...metricsDoc.matchAll(/^\| `(tc_registry_[a-z_]+)`/gm)].map((m) => m[1]).sort();
    expect(documented).toEqual(names);
  });

  it('counts with labels', async () => {
    const register = new Registry();
    const m = createRegistryMetrics(register);
    m.requests.inc({ kind: kindLabel('getChainTip'), outcome: 'ok' });
    m.requests.inc({ kind: kindLabel('fromTheFuture'), outcome: 'timeout' });
    m.requestSeconds.observe({ kind: 'getChainTip' }, 0.02);
    m.connections.set({ direction: 'inbound' }, 3);
    m.bytes.inc({ direction: 'in' }, 1234);
    const text = await register.metrics();
    expect(text).toContain('tc_registry_requests_total{kind="getChainTip",outcome="ok"} 1');
    expect(text).toContain('tc_registry_requests_total{kind="unknown",outcome="timeout"} 1');
    expect(text).toContain('tc_registry_request_seconds_count{kind="getChainTip"} 1');
    expect(text).toContain('tc_registry_connections{direction="inbound"} 3');
    expect(text).toContain('tc_registry_bytes_total{direction="in"} 1234');
    expect(REQUEST_OUTCOMES).toEqual([
      'ok',
      'timeout',
      'remote_error',
      'disconnected',
      'rate_limited',
      'queue_full',
      'aborted',
    ]);
  });

  it('reads bound sources at scrape time', async () => {
    const register = new Registry();
    const m = createRegistryMetrics(register);
    let scores = [-30, 10, 50];
    m.bindSources({ peerScores: () => scores, banListEntries: () => 7, eventLoopLagMs: () => 250 });
    let text = await register.metrics();
    expect(text).toContain('tc_registry_peer_score{stat="min"} -30');
    expect(text).toContain('tc_registry_peer_score{stat="mean"} 10');
    expect(text).toContain('tc_registry_peer_score{stat="max"} 50');
    expect(text).toContain('tc_registry_peer_score{stat="negative_count"} 1');
    expect(text).toContain('tc_registry_ban_list_entries 7');
    expect(text).toContain('tc_registry_event_loop_lag_seconds 0.25');
    scores = [];
    text = await register.metrics();
    expect(text).not.toContain('tc_registry_peer_score{');
    m.bindSources({});
    await expect(register.metrics()).resolves.toContain('tc_registry_ban_list_entries 7');
  });
});
