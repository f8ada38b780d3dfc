#!/usr/bin/env node
// tc-load scenarios: `churn` (a peer connecting and leaving 4×/s) and `restarts` (kill -9 loop).
import { parseArgs } from 'node:util';
import { bombsRun, lyingTipRun, rpcSlowRun } from './attacks.mjs';
import { churnRun } from './churn.mjs';
import { defaultDir, startLoadCluster, stopCluster } from './load.mjs';
import { restartLoop } from './restarts.mjs';
import { runStep } from './step.mjs';

const [scenario, ...rest] = process.argv.slice(2).filter((a) => a !== '--');
const { values } = parseArgs({
  args: rest,
  options: {
    nodes: { type: 'string', default: '3' },
    'slot-ms': { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '90' },
    kills: { type: 'string', default: '30' },
    rate: { type: 'string', default: '100' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
const USAGE =
  'usage: scenarios-cli.mjs churn|restarts|rpc-slow|bombs|lying-tip [--nodes N] [--slot-ms MS] [--seconds S] [--kills K] [--rate R]';
if (values.help || scenario === '--help' || scenario === '-h') {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const log = (line) => process.stderr.write(`${line}\n`);
const slotMs = Number(values['slot-ms']);
const count = Number(values.nodes);
const rate = Number(values.rate);

const ATTACKS = { 'rpc-slow': rpcSlowRun, bombs: bombsRun, 'lying-tip': lyingTipRun };
if (scenario in ATTACKS) {
  const seconds = Number(values.seconds === '90' ? '15' : values.seconds);
  const result = await ATTACKS[scenario]({ dir: defaultDir(scenario), seconds, log });
  const { table, ...rest } = result;
  if (table) log(table);
  process.stdout.write(`${JSON.stringify({ scenario, ...rest }, null, 2)}\n`);
  process.exit(0);
}
if (scenario !== 'churn' && scenario !== 'restarts') {
  log(USAGE);
  process.exit(64);
}
const seconds = Number(values.seconds);
const kills = Number(values.kills);
const utxos = scenario === 'churn' ? rate * (seconds + 30) : rate * kills * 5;
const cluster = await startLoadCluster({ count, slotMs, utxos, dir: defaultDir(scenario), log });
let result;
try {
  if (scenario === 'churn') {
    // Load through the run, as the measurement had it.
    const load = runStep({
      nodes: cluster.nodes,
      wallet: cluster.wallet,
      rate,
      seconds,
      drainTimeoutMs: 60_000,
      slotMs,
    });
    result = await churnRun({ cluster, seconds, slotMs, log });
    const step = await load;
    result.load = {
      offered: step.offered,
      accepted: step.accepted,
      included: step.included,
      lost: step.lost,
    };
  } else {
    result = await restartLoop({ cluster, kills, rate, victim: count - 1, log });
  }
} finally {
  await stopCluster(cluster);
}
process.stdout.write(`${JSON.stringify({ scenario, nodes: count, slotMs, ...result }, null, 2)}\n`);
const ok =
  scenario === 'churn'
    ? result.tipsAgree &&
      result.bans.length === 0 &&
      result.scored === 0 &&
      result.banActions === 0 &&
      result.load.lost === 0
    : result.tipsAgree &&
      result.bans.length === 0 &&
      result.maxReorgDepth <= 3 &&
      result.lost === 0 &&
      result.finalsReverted === 0 &&
      result.finalityRegressions === 0 &&
      result.evidence === 0;
process.exitCode = ok ? 0 : 1;
