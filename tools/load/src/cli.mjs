#!/usr/bin/env node
// tc-load: stepped transaction load against a real tc-node cluster, with a 1-node baseline.
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import {
  defaultDir,
  measureOpensslVerifyRate,
  measureVerifyRate,
  runSteps,
  startLoadCluster,
  stopCluster,
} from './load.mjs';
import { ceiling, renderReport } from './report.mjs';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    nodes: { type: 'string', default: '4' },
    'slot-ms': { type: 'string', default: '1000,250' },
    rates: { type: 'string', default: '250,500,1000,1500,2000,2500,3000,4000' },
    'step-seconds': { type: 'string', default: '8' },
    baseline: { type: 'boolean', default: true },
    'no-baseline': { type: 'boolean', default: false },
    json: { type: 'string' },
    markdown: { type: 'string' },
    quick: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  process.stdout.write(
    [
      'usage: tc-load [--nodes N] [--slot-ms MS[,MS]] [--rates R,R,…] [--step-seconds S]',
      '               [--no-baseline] [--quick] [--json FILE] [--markdown FILE]',
      '',
      'Starts its own clusters of tc-node processes on 127.0.0.1 (a 1-node baseline, then N nodes',
      'for each slot length), submits the stepped rates through every node and prints a report',
      '(README.md: "What a step reports"). Scenarios: scenarios-cli.mjs churn|restarts|rpc-slow|bombs|lying-tip.',
      '',
    ].join('\n'),
  );
  process.exit(0);
}

const log = (line) => process.stderr.write(`${line}\n`);
const count = Number(values.nodes);
const slots = values['slot-ms'].split(',').map(Number);
const rates = (values.quick ? '250,1000,2000' : values.rates).split(',').map(Number);
const stepSeconds = Number(values.quick ? '5' : values['step-seconds']);
const utxos = Math.ceil(Math.max(...rates) * stepSeconds * 1.1);

const verifyPerSec = measureVerifyRate();
const opensslVerifyPerSec = measureOpensslVerifyRate();
const cores = availableParallelism();
const result = {
  nodes: count,
  cores,
  verifyPerSec,
  opensslVerifyPerSec,
  limitTxPerSec: (cores * verifyPerSec) / count,
  runs: [],
};
log(`verify rate ${verifyPerSec.toFixed(0)}/s per core; limit ${result.limitTxPerSec.toFixed(0)} tx/s`);

async function configuration(label, nodes, slotMs) {
  log(`${label}: starting`);
  const cluster = await startLoadCluster({
    count: nodes,
    slotMs,
    utxos,
    dir: defaultDir(`${nodes}n-${slotMs}`),
    log,
  });
  try {
    const steps = await runSteps({ cluster, rates, stepSeconds, slotMs, log });
    result.runs.push({ label, nodes, slotMs, steps });
    return steps;
  } finally {
    await stopCluster(cluster);
  }
}

let single;
if (values.baseline && !values['no-baseline']) {
  single = await configuration(`1 node, ${slots[0]} ms slots (baseline)`, 1, slots[0]);
}
let multi;
for (const slotMs of slots) {
  const steps = await configuration(`${count} nodes, ${slotMs} ms slots`, count, slotMs);
  multi ??= steps;
}
if (single && multi) {
  const s = ceiling(single);
  const m = ceiling(multi);
  result.overhead = { single: s, multi: m, ratio: s > 0 ? (count * m) / s : Number.NaN };
}
const report = renderReport(result);
process.stdout.write(`${report}\n`);
if (values.json) writeFileSync(values.json, `${JSON.stringify(result, null, 2)}\n`);
if (values.markdown) writeFileSync(values.markdown, `${report}\n`);
