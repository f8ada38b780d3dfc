import { afterAll, describe, expect, it } from 'vitest';
import { type Cluster, formatSoakReport, runSoak } from '../src/index.js';

/** A soak smoke run: 4 nodes, 20 s, scraped every 2 s; the growth test is computed, not asserted. */
describe('soak (smoke)', () => {
  let cluster: Cluster | undefined;
  afterAll(async () => {
    await cluster?.close();
  });

  it('samples every metric of every node and computes the growth test', async () => {
    const report = await runSoak({
      nodes: 4,
      durationMs: 20_000,
      scrapeMs: 2000,
      warmupMs: 6000,
      slotMs: 500,
      txRate: 2,
      onCluster: (c) => {
        cluster = c;
      },
    });
    const text = formatSoakReport(report);
    console.log(text);
    expect(report.crashed, text).toBe(false);
    expect(report.nodes).toHaveLength(4);
    for (const n of report.nodes) {
      expect(n.samples.length).toBeGreaterThanOrEqual(8);
      for (const s of n.samples) {
        for (const v of [s.rss, s.heapUsed, s.handles, s.lagP99, s.peers])
          expect(Number.isFinite(v)).toBe(true);
        expect(s.rss).toBeGreaterThan(0);
        expect(s.heapUsed).toBeGreaterThan(0);
      }
      expect(n.samples.at(-1)?.peers).toBe(3);
      expect(n.growth.map((g) => g.metric)).toEqual(['rss', 'heapUsed', 'handles']);
      for (const g of n.growth) expect(g.samples).toBeGreaterThanOrEqual(6);
    }
  }, 90_000);
});
