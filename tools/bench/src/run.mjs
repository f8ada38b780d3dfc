#!/usr/bin/env node
// tc benchmark report: every package benchmark (one after another), then node-level figures
// from real tc-node processes on 127.0.0.1, written to bench/REPORT.md at the repo root and
// printed. Usage: node src/run.mjs [--quick] [--skip-packages] [--skip-node] [--out FILE]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem, type } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { devnetStep, freshSync, idleNodeRss, percentile, runChild } from './node-bench.mjs';
import { assembleReport, bestStep, consensusSyncFigures, judgeStep } from './report.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const CLI = join(ROOT, 'apps/node/dist/cli.js');
export const PACKAGES = ['@tc/wire', '@tc/storage', '@tc/registry', '@tc/consensus', '@tc/node'];

const args = process.argv.slice(2);
const has = (f) => args.includes(f);
const quick = has('--quick');
const outIdx = args.indexOf('--out');
const OUT = outIdx >= 0 ? resolve(args[outIdx + 1]) : join(ROOT, 'bench/REPORT.md');
const log = (s) => process.stderr.write(`${s}\n`);

function machine() {
  let os = `${type()} ${release()}`;
  try {
    const rel = readFileSync('/etc/os-release', 'utf8').match(/^PRETTY_NAME="?([^"\n]*)"?/m);
    if (rel) os = `${rel[1]} (${type()} ${release()})`;
  } catch {}
  let commit;
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {}
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    ramGiB: (totalmem() / 1024 ** 3).toFixed(1),
    node: process.version,
    os,
    date: new Date().toISOString(),
    commit,
    loadAvg: loadavg()
      .map((x) => x.toFixed(2))
      .join(' / '),
  };
}

async function packageBenches() {
  const out = [];
  for (const name of PACKAGES) {
    const command = `pnpm --filter ${name} bench`;
    log(`running ${command} …`);
    const t0 = performance.now();
    const r = await runChild('pnpm', ['--filter', name, 'bench'], { cwd: ROOT, timeoutMs: 600_000 });
    const seconds = (performance.now() - t0) / 1000;
    log(`  exit ${r.code ?? r.signal} in ${seconds.toFixed(1)} s`);
    out.push({ name, command, code: r.code, signal: r.signal, output: r.output, seconds });
  }
  return out;
}

async function nodeLevel(consensusOutput) {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run pnpm turbo build first`);
  const cfg = quick
    ? { nodes: 4, slotMs: 250, stepS: 10, firstS: 15 }
    : {
        nodes: 4,
        slotMs: 250,
        stepS: 20,
        firstS: 40,
        // A longer chain for the sync figure: 60 s of 250 ms slots at 50 tx/s. (100 ms and 50 ms
        // slots left the 4 nodes' tips disagreeing on 2 cores, with a node far behind.)
        syncChain: { slotMs: 250, durationS: 60, rate: 50 },
      };
  const propagationRate = 20;
  const tmp = mkdtempSync(join(tmpdir(), 'tc-bench-'));
  try {
    log('node level: idle node RSS …');
    const idleRss = await idleNodeRss();
    log(
      `node level: ${cfg.nodes}-node devnet at ${propagationRate} tx/s for ${cfg.firstS} s (propagation) …`,
    );
    const firstDir = join(tmp, 'step-first');
    const first = judgeStep(
      await devnetStep({
        cli: CLI,
        dir: firstDir,
        nodes: cfg.nodes,
        rate: propagationRate,
        durationS: cfg.firstS,
        slotMs: cfg.slotMs,
        watch: true,
        log,
      }),
    );
    let syncDir = firstDir;
    let syncChain;
    if (cfg.syncChain) {
      const c = cfg.syncChain;
      log(`node level: building a chain for sync: ${c.slotMs} ms slots, ${c.rate} tx/s, ${c.durationS} s …`);
      syncDir = join(tmp, 'sync-chain');
      syncChain = await devnetStep({
        cli: CLI,
        dir: syncDir,
        nodes: cfg.nodes,
        rate: c.rate,
        durationS: c.durationS,
        slotMs: c.slotMs,
        log,
      });
    }
    log('node level: fresh-node sync …');
    let sync;
    try {
      // Serve from the two nodes that were highest near the end of the chain's window.
      const h = (syncChain ?? first).heights;
      const order = [0, 1, 2, 3]
        .slice(0, cfg.nodes)
        .sort((a, b) => (Number.isFinite(h[b]) ? h[b] : -1) - (Number.isFinite(h[a]) ? h[a] : -1));
      sync = await freshSync({ cli: CLI, dir: syncDir, servers: order.slice(0, 2), log });
      const c = syncChain ?? first;
      sync.chain = {
        slotMs: c.slotMs,
        rate: c.rate,
        durationS: c.durationS,
        txs: c.summary.inBlocks,
        blocks: c.summary.blocks,
        tipsAgree: c.summary.tipsAgree,
      };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log(`  sync failed: ${message}`);
      sync = { ok: false, blocks: Number.NaN, height: Number.NaN, totalS: Number.NaN, error: message };
    }
    // Transaction throughput comes from the load tool (tools/load): stepped rates through every
    // node of its own clusters, with a 1-node baseline in the same run.
    // The devnet step above is the only one: it gives propagation, RTT and RSS.
    const load = await loadTool(tmp);
    const testnet = quick ? { skipped: 'a quick run (`--quick`)' } : await testnetTool(tmp);
    const best = bestStep([first]);
    return {
      config: cfg,
      propagationRate,
      idleRss,
      steps: [first],
      best,
      rss: (best ?? first).rss,
      rttCount: first.rtts.length,
      rttMeanMs: first.rtts.length ? first.rtts.reduce((a, b) => a + b, 0) / first.rtts.length : Number.NaN,
      propagation: {
        count: first.propagation.length,
        p50: percentile(first.propagation, 50),
        p99: percentile(first.propagation, 99),
        meanPollMs: first.meanPollMs,
        partial: first.partialBlocks,
      },
      sync,
      consensusSync: consensusSyncFigures(consensusOutput),
      load,
      testnet,
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Runs tools/testnet (32 nodes on their own network namespaces, WAN profile, every scenario);
 * its markdown. Skipped, with the reason, where namespaces cannot be made (not root).
 */
async function testnetTool(tmp) {
  const markdown = join(tmp, 'testnet.md');
  const args = [join(ROOT, 'tools/testnet/src/cli.mjs'), '--markdown', markdown];
  log(`node level: testnet (${args.slice(1).join(' ')}) …`);
  const r = await runChild(process.execPath, args, { cwd: ROOT, timeoutMs: 60 * 60_000 });
  const skipped = /tc-testnet skipped: (.*)/.exec(r.output ?? '')?.[1];
  if (skipped) return { skipped };
  if (!existsSync(markdown)) {
    log(`  testnet failed (exit ${r.code ?? r.signal})`);
    return { ok: false, output: r.output };
  }
  return { ok: r.code === 0, markdown: readFileSync(markdown, 'utf8') };
}

/** Runs tools/load (its own clusters, both slot lengths, 1-node baseline); its markdown and JSON. */
async function loadTool(tmp) {
  const json = join(tmp, 'load.json');
  const markdown = join(tmp, 'load.md');
  const args = [join(ROOT, 'tools/load/src/cli.mjs'), '--json', json, '--markdown', markdown];
  if (quick) args.push('--quick');
  log(`node level: load tool (${args.slice(1).join(' ')}) …`);
  const r = await runChild(process.execPath, args, { cwd: ROOT, timeoutMs: 60 * 60_000 });
  if (r.code !== 0 || !existsSync(markdown)) {
    log(`  load tool failed (exit ${r.code ?? r.signal})`);
    return { ok: false, output: r.output };
  }
  return {
    ok: true,
    markdown: readFileSync(markdown, 'utf8'),
    result: JSON.parse(readFileSync(json, 'utf8')),
  };
}

async function main() {
  const t0 = performance.now();
  const m = machine();
  const packages = has('--skip-packages') ? [] : await packageBenches();
  const consensus = packages.find((p) => p.name === '@tc/consensus')?.output ?? '';
  let node;
  if (!has('--skip-node')) node = await nodeLevel(consensus);
  const report = assembleReport({
    machine: m,
    packages,
    node,
    quick,
    totalS: (performance.now() - t0) / 1000,
  });
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, report);
  // The repository lints markdown with Biome (`biome check .` at the root): align the tables.
  const biome = join(ROOT, 'node_modules/.bin/biome');
  try {
    execFileSync(biome, ['format', '--write', OUT], { cwd: ROOT, stdio: 'ignore' });
  } catch {
    log(`note: could not format ${OUT} with ${biome}; run \`pnpm exec biome format --write ${OUT}\``);
  }
  process.stdout.write(readFileSync(OUT, 'utf8'));
  log(`wrote ${OUT}`);
}

main().catch((error) => {
  log(`tc bench failed: ${error?.stack ?? error}`);
  process.exitCode = 1;
});
