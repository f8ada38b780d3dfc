import { parseArgs } from 'node:util';
import { runChaos } from './chaos-run.js';
import { formatChaosReport } from './report.js';

const USAGE = `usage: tc-chaos chaos [--nodes 6] [--seed N] [--faults-s 100] [--slot-ms 500] [--tx-rate 3] [--agree-s 30] [--corrupt] [--keep]
       tc-chaos soak [--nodes 5] [--minutes 10] [--scrape-s 5] [--slot-ms 500] [--tx-rate 3] [--keep]`;

function num(v: string | undefined, def: number, name: string): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) {
    process.stderr.write(`tc-chaos: --${name} expects a number, got ${v}\n${USAGE}\n`);
    process.exit(64);
  }
  return n;
}

async function main(): Promise<number> {
  // `pnpm chaos -- --seed 1` hands the script a literal "--": drop it.
  const args = process.argv.slice(2).filter((a, i) => !(a === '--' && i <= 1));
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      nodes: { type: 'string' },
      seed: { type: 'string' },
      'faults-s': { type: 'string' },
      'slot-ms': { type: 'string' },
      'tx-rate': { type: 'string' },
      'agree-s': { type: 'string' },
      minutes: { type: 'string' },
      'scrape-s': { type: 'string' },
      'warmup-s': { type: 'string' },
      corrupt: { type: 'boolean' },
      soak: { type: 'boolean' },
      keep: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  const mode = values.soak ? 'soak' : (positionals[0] ?? 'chaos');
  if (values.help || (mode !== 'chaos' && mode !== 'soak')) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 64;
  }
  const log = (line: string) => process.stdout.write(`${line}\n`);
  if (mode === 'soak') {
    const { runSoak, formatSoakReport } = await import('./soak.js');
    const report = await runSoak({
      nodes: num(values.nodes, 5, 'nodes'),
      durationMs: num(values.minutes, 10, 'minutes') * 60_000,
      scrapeMs: num(values['scrape-s'], 5, 'scrape-s') * 1000,
      slotMs: num(values['slot-ms'], 500, 'slot-ms'),
      txRate: num(values['tx-rate'], 3, 'tx-rate'),
      ...(values['warmup-s'] ? { warmupMs: num(values['warmup-s'], 0, 'warmup-s') * 1000 } : {}),
      keepDir: values.keep === true,
      log,
    });
    log(formatSoakReport(report));
    return report.ok ? 0 : 1;
  }
  const seed = num(values.seed, Math.floor(Math.random() * 1_000_000), 'seed');
  const report = await runChaos({
    nodes: num(values.nodes, 6, 'nodes'),
    seed,
    faultsMs: num(values['faults-s'], 100, 'faults-s') * 1000,
    slotMs: num(values['slot-ms'], 500, 'slot-ms'),
    txRate: num(values['tx-rate'], 3, 'tx-rate'),
    agreeBoundMs: num(values['agree-s'], 30, 'agree-s') * 1000,
    corrupt: values.corrupt === true,
    keepDir: values.keep === true,
    log,
  });
  log(formatChaosReport(report));
  if (!report.ok)
    log(
      `replay with: tc-chaos chaos --seed ${seed} --nodes ${report.options.nodes} --faults-s ${report.options.faultsMs / 1000}`,
    );
  return report.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`tc-chaos: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
