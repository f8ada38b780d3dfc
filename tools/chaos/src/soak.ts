import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitTipsAgree } from './checks.js';
import { Cluster, type ClusterRunOptions } from './cluster.js';
import { type MetricSample, scrapeNode } from './metrics-scrape.js';
import type { ExitRecord } from './node-process.js';
import { GROWTH_RULES, type Growth, growth } from './trend.js';
import { TxLoad } from './tx-load.js';
import { fmtS, Rng, sleep } from './util.js';

export interface SoakOptions extends ClusterRunOptions {
  readonly nodes: number;
  readonly durationMs: number;
  /** Scrape every node's /metrics this often. */
  readonly scrapeMs: number;
  readonly slotMs: number;
  readonly txRate: number;
  /** Samples before this are not judged (default 25 % of the run, at most 2 min). */
  readonly warmupMs?: number;
  readonly seed?: number;
}

export interface SoakNodeReport {
  readonly node: number;
  readonly samples: readonly MetricSample[];
  readonly growth: readonly Growth[];
}

export interface SoakReport {
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly nodes: readonly SoakNodeReport[];
  readonly accepted: number;
  readonly height: number;
  readonly exits: readonly ExitRecord[];
  readonly crashed: boolean;
  readonly growing: readonly string[];
  readonly ok: boolean;
}

/**
 * Soak: a devnet behind (clean) proxies with the transaction load and no faults for `durationMs`,
 * every node's /metrics scraped every `scrapeMs` (RSS, heap used, active handles, event-loop lag
 * p99, peers). Fails when a node exits by itself, or when RSS, heap or handles keep growing after
 * the warm-up (trend.ts).
 */
export async function runSoak(o: SoakOptions): Promise<SoakReport> {
  const log = o.log ?? (() => undefined);
  const dir = mkdtempSync(join(o.dir ?? tmpdir(), 'tc-soak-'));
  const warmupMs = o.warmupMs ?? Math.min(120_000, Math.round(o.durationMs * 0.25));
  const seed = o.seed ?? 1;
  log(
    `soak: ${o.nodes} nodes, ${fmtS(o.durationMs)}, scrape every ${fmtS(o.scrapeMs)}, warm-up ${fmtS(warmupMs)}, ${o.txRate} tx/s, dir ${dir}`,
  );
  const cluster = await Cluster.create({ dir, nodes: o.nodes, slotMs: o.slotMs, seed });
  o.onCluster?.(cluster);
  const load = new TxLoad(cluster, o.txRate, new Rng(seed));
  const samples: MetricSample[][] = cluster.nodes.map(() => []);
  let keep = o.keepDir === true;
  try {
    await cluster.startAll();
    const warm = await waitTipsAgree(cluster, 30_000);
    if (!warm.agreed) throw new Error('the devnet did not agree on a tip within 30 s of start');
    load.start();
    const start = Date.now();
    const rounds = Math.floor(o.durationMs / o.scrapeMs) + 1;
    for (let k = 0; k < rounds; k++) {
      await sleep(Math.max(0, start + k * o.scrapeMs - Date.now()));
      const t = Date.now() - start;
      const got = await Promise.all(cluster.nodes.map((n) => scrapeNode(n.rpcPort, t)));
      got.forEach((s, i) => {
        if (s) samples[i]?.push(s);
      });
      if (k % Math.max(1, Math.round(30_000 / o.scrapeMs)) === 0) {
        log(
          `t=${fmtS(t)} ${got.map((s, i) => (s ? `n${i} ${(s.rss / 2 ** 20).toFixed(0)}M/${s.handles}h/${s.peers}p` : `n${i} -`)).join(' ')}`,
        );
      }
      if (cluster.nodes.some((n) => !n.proc.running)) break;
    }
    await load.stop();
    const end = await waitTipsAgree(cluster, 15_000);
    await cluster.stopAll();
    const exits = cluster.nodes.flatMap((n) => n.proc.exits);
    const crashed = exits.some((x) => x.expected !== 'stop' || x.code !== 0);
    const nodes = samples.map((ss, node) => {
      const judged = ss.filter((s) => s.tMs >= warmupMs);
      const series = (f: (s: MetricSample) => number) => judged.map((s) => ({ t: s.tMs, v: f(s) }));
      return {
        node,
        samples: ss,
        growth: [
          growth(
            'rss',
            series((s) => s.rss),
            GROWTH_RULES.rss,
          ),
          growth(
            'heapUsed',
            series((s) => s.heapUsed),
            GROWTH_RULES.heapUsed,
          ),
          growth(
            'handles',
            series((s) => s.handles),
            GROWTH_RULES.handles,
          ),
        ],
      };
    });
    const growing = nodes.flatMap((n) =>
      n.growth.filter((g) => g.grows).map((g) => `node ${n.node} ${g.metric}`),
    );
    const ok = !crashed && growing.length === 0 && nodes.every((n) => n.samples.length > 0);
    if (!ok) keep = true;
    return {
      durationMs: Date.now() - start,
      warmupMs,
      nodes,
      accepted: load.accepted,
      height: end.height,
      exits,
      crashed,
      growing,
      ok,
    };
  } catch (error) {
    keep = true;
    throw error;
  } finally {
    await load.stop();
    await cluster.close();
    if (!keep) rmSync(dir, { recursive: true, force: true });
    else log(`kept ${dir}`);
  }
}

const mib = (b: number) => (b / 2 ** 20).toFixed(1);

/** Per node: a table of (at most 12) samples over time, then the growth verdicts. */
export function formatSoakReport(r: SoakReport): string {
  const lines = [
    `soak summary (${r.ok ? 'PASS' : 'FAIL'}, ${fmtS(r.durationMs)}, warm-up ${fmtS(r.warmupMs)}, ${r.accepted} transactions, height ${r.height}, ${r.crashed ? 'a node exited unexpectedly' : 'no crash'})`,
  ];
  for (const n of r.nodes) {
    lines.push(`  node ${n.node} (${n.samples.length} samples)`);
    lines.push('       t   rss MiB  heap MiB  handles  lag p99 ms  peers');
    const step = Math.max(1, Math.ceil(n.samples.length / 12));
    const rows = n.samples.filter((_, i) => i % step === 0 || i === n.samples.length - 1);
    for (const s of rows) {
      lines.push(
        `  ${fmtS(s.tMs).padStart(6)} ${mib(s.rss).padStart(9)} ${mib(s.heapUsed).padStart(9)} ${String(s.handles).padStart(8)} ${(s.lagP99 * 1000).toFixed(1).padStart(11)} ${String(s.peers).padStart(6)}`,
      );
    }
    for (const g of n.growth) {
      const f = g.metric === 'handles' ? (x: number) => x.toFixed(0) : (x: number) => `${mib(x)}M`;
      lines.push(
        `    ${g.grows ? 'GROWS' : 'flat '} ${g.metric}: median ${f(g.firstHalf)} → ${f(g.secondHalf)}, slope ${f(g.slopePerMin)}/min over ${g.samples} samples`,
      );
    }
  }
  return lines.join('\n');
}
