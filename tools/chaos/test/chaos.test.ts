import { afterAll, describe, expect, it } from 'vitest';
import { type ChaosReport, type Cluster, formatChaosReport, runChaos } from '../src/index.js';

/**
 * A small but real chaos scenario: 5 tc-node processes (500 ms slots) behind netem proxies,
 * 2 tx/s, 30 s of faults from seed 7: kill -9 + restart, one partition + heal, one slow link.
 */
describe('chaos (short)', () => {
  let cluster: Cluster | undefined;
  afterAll(async () => {
    await cluster?.close();
  });

  it('keeps tips, transactions and UTXO sets consistent, and nothing crashes', async () => {
    const lines: string[] = [];
    const report: ChaosReport = await runChaos({
      nodes: 5,
      seed: 7,
      faultsMs: 30_000,
      slotMs: 500,
      txRate: 2,
      agreeBoundMs: 30_000,
      log: (l) => lines.push(l),
      onCluster: (c) => {
        cluster = c;
      },
    });
    const summary = formatChaosReport(report);
    console.log(summary);
    expect(report.schedule.some((e) => e.kind === 'partition')).toBe(true);
    expect(report.schedule.some((e) => e.kind === 'slow')).toBe(true);
    expect(report.kills).toBeGreaterThanOrEqual(1);
    const byName = Object.fromEntries(report.checks.map((c) => [c.name, c]));
    expect(byName['tips agree after the last heal']?.ok, summary).toBe(true);
    expect(byName['final-chain transactions on every node']?.ok, summary).toBe(true);
    expect(byName['UTXO sets identical']?.ok, summary).toBe(true);
    expect(byName['no crash (only killed nodes exited)']?.ok, summary).toBe(true);
    expect(report.partition.bytesAcross, summary).toBe(0);
    expect(report.partition.diverged, summary).toBe(true);
    expect(report.decoyHits, summary).toBe(0);
    expect(report.ok, summary).toBe(true);
    expect(new Set(report.digests.map((d) => d.digest)).size).toBe(1);
    expect(report.txs.inFinalChain).toBeGreaterThan(0);
  }, 150_000);
});
