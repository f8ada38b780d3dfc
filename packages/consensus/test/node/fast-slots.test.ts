import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConsensusNode } from '../../src/internal.js';
import { slotRateQuotas } from '../../src/internal.js';
import { TestCluster, waitFor } from '../node-cluster.js';

/**
 * Regression: on sub-second slots honest nodes exceeded their peers' inbound quotas
 * (blockAnnounce 2/s: one per block; getChainTip 2/s: one per fork check, and a check ran for
 * every fork block announced), were scored RATE_LIMITED, disconnected, then banned by every
 * peer, and a banned node stopped following the chain for good (devnet at 100 ms slots:
 * node-0 stuck at 36 while the others reached 266).
 */

let cluster: TestCluster | undefined;

afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

async function counter(metrics: Registry, name: string): Promise<number> {
  const metric = metrics.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values.reduce((sum, v) => sum + v.value, 0);
}

describe('fast slots: honest peers stay within each other’s rate quotas', () => {
  it('blockAnnounce quota scales with the slot and never drops below the registry default', () => {
    expect(slotRateQuotas(1_000).blockAnnounce.ratePerSec).toBe(3);
    expect(slotRateQuotas(60_000).blockAnnounce).toEqual({ ratePerSec: 2, burst: 10 });
    const fast = slotRateQuotas(100).blockAnnounce;
    expect(fast.ratePerSec).toBeGreaterThanOrEqual(30);
    expect(fast.burst).toBeGreaterThanOrEqual(90);
  });

  it('back-to-back fork checks are spaced, so the peer never rate-limits our tip queries', async () => {
    cluster = new TestCluster({ validators: 1, slotMs: 1_000 });
    const metrics = new Registry();
    const a = await cluster.add({ forkCheckIntervalMs: 60_000 }); // default spacing: 600 ms
    const b = await cluster.add({ metricsRegistry: metrics, forkCheckIntervalMs: 60_000 });
    await cluster.connectAll();
    await waitFor(() => a.registry.peers().length === 1, 5_000, 'a connected to b');
    const started = performance.now();
    // 14 checks: unspaced they ask b for its tip 14 times in a few ms (b's quota: burst 10, 2/s).
    for (let i = 0; i < 14; i++) await a.checkForks();
    expect(performance.now() - started).toBeGreaterThanOrEqual(13 * 600 - 50);
    expect(await counter(metrics, 'tc_registry_rate_limited_total')).toBe(0);
    expect(a.registry.peers()).toHaveLength(1);
    expect(b.registry.peers()).toHaveLength(1);
  });

  it('4 validators on 100 ms slots keep every peer and agree on one chain', async () => {
    cluster = new TestCluster({ validators: 4, slotMs: 100 });
    const metrics: Registry[] = [];
    const nodes: ConsensusNode[] = [];
    for (let i = 0; i < 4; i++) {
      const m = new Registry();
      metrics.push(m);
      nodes.push(await cluster.add({ validatorIndex: i, metricsRegistry: m }));
    }
    await cluster.connectAll();
    const heights = () => nodes.map((n) => n.chain.tip().height);
    await waitFor(() => Math.min(...heights()) >= 60, 30_000, 'height 60 on every node');
    for (const m of metrics) expect(await counter(m, 'tc_registry_rate_limited_total')).toBe(0);
    for (const m of metrics) expect(await counter(m, 'tc_registry_bans_total')).toBe(0);
    for (const n of nodes) expect(n.registry.peers()).toHaveLength(3);
    // Stop producing, then every node must settle on one tip.
    for (const n of nodes) n.setProducing(false);
    await waitFor(
      () => {
        const tip = nodes[0]!.chain.tip();
        return nodes.every(
          (n) => n.chain.tip().height === tip.height && Buffer.from(n.chain.tip().hash).equals(tip.hash),
        );
      },
      15_000,
      'one tip on every node',
    );
  });
});
