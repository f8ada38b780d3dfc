#!/usr/bin/env node
// tc-testnet: N tc-node processes on their own hosts (network namespaces), WAN links, discovery,
// and the scenarios. Needs root; without namespaces it prints why in one line and exits 0.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { probeHosts } from './hosts.mjs';
import { POOL_THREADS } from './nodes.mjs';
import { allPassed, profileText, renderTestnetReport } from './report.mjs';
import { churn, eclipse, partition, steady, sync, warmUp } from './scenarios.mjs';
import { startTestnet } from './testnet.mjs';
import { PROFILES } from './wan.mjs';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    nodes: { type: 'string', default: '32' },
    validators: { type: 'string', default: '8' },
    'slot-ms': { type: 'string', default: '1000' },
    rate: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '60' },
    'warmup-rate': { type: 'string' },
    'warmup-seconds': { type: 'string', default: '60' },
    profile: { type: 'string', default: 'internet' },
    scenarios: { type: 'string', default: 'steady,sync,churn,partition,eclipse' },
    seed: { type: 'string', default: '1' },
    json: { type: 'string' },
    markdown: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  process.stdout.write(
    [
      'usage: tc-testnet [--nodes N] [--validators V] [--slot-ms MS] [--rate TX/S] [--seconds S]',
      '                  [--profile internet|lan] [--scenarios steady,sync,churn,partition,eclipse]',
      '                  [--warmup-rate TX/S] [--warmup-seconds S] [--seed N] [--json FILE] [--markdown FILE]',
      '',
      'Runs N tc-node processes, each in its own network namespace behind WAN links, lets them',
      'find each other from 1–2 seeds, runs the scenarios and prints the report (README.md).',
      'Before the scenarios, an unmeasured warm-up (default a quarter of --rate for 60 s; 0 s: none)',
      "lets V8 compile the nodes' hot paths. Needs root; without it, it prints why in one line and exits 0.",
      '',
    ].join('\n'),
  );
  process.exit(0);
}
const log = (line) => process.stderr.write(`${line}\n`);
const probe = probeHosts();
if (!probe.ok) {
  log(`tc-testnet skipped: ${probe.reason}`);
  process.exit(0);
}
const count = Number(values.nodes);
const validators = Number(values.validators);
const slotMs = Number(values['slot-ms']);
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const names = values.scenarios.split(',');
const warmSeconds = Number(values['warmup-seconds']);
const warmRate = Number(values['warmup-rate'] ?? Math.round(rate / 4));
const tn = await startTestnet({
  count,
  validators,
  slotMs,
  profile: values.profile,
  seed: Number(values.seed),
  extraHosts: names.includes('eclipse') ? 1 : 0,
  spares: names.includes('sync') ? 1 : 0,
  utxos: Math.ceil(rate * seconds * 2.5 + warmRate * warmSeconds),
  log,
});
const result = {
  nodes: count,
  validators,
  slotMs,
  profile: values.profile,
  profileText: profileText(PROFILES[values.profile]),
  minPeers: Math.min(6, count - 1),
  discovery: tn.discovery,
  scenarios: [],
};
const SCENARIOS = {
  steady: () => steady(tn, { rate, seconds }),
  sync: () => sync(tn, { poolThreads: POOL_THREADS }),
  churn: () => churn(tn, { rate: Math.round(rate / 2), seconds }),
  partition: () => partition(tn, { seconds: Math.max(10, Math.round(seconds / 3)) }),
  eclipse: () => eclipse(tn, { identities: 64, seconds: Math.max(15, Math.round(seconds / 3)) }),
};
try {
  if (warmSeconds > 0 && warmRate > 0) {
    log(`warm-up: ${warmRate} tx/s for ${warmSeconds} s …`);
    result.warmUp = await warmUp(tn, { rate: warmRate, seconds: warmSeconds });
    log(
      `  warm-up: ${result.warmUp.accepted} accepted, ${result.warmUp.lost} lost, tips ${result.warmUp.tipsAgree ? 'agree' : 'DISAGREE'}`,
    );
  }
  for (const name of names) {
    log(`scenario ${name} …`);
    const scenario = SCENARIOS[name];
    if (!scenario) throw new Error(`unknown scenario ${name} (${Object.keys(SCENARIOS).join(', ')})`);
    const s = await scenario();
    result.scenarios.push(s);
    log(`  ${name}: tips ${s.tipsAgree ? 'agree' : 'DISAGREE'}, checks ${JSON.stringify(s.checks)}`);
  }
} finally {
  await tn.stop();
}
const markdown = renderTestnetReport(result);
process.stdout.write(`${markdown}\n`);
if (values.json) writeFileSync(values.json, JSON.stringify(result, null, 2));
if (values.markdown) writeFileSync(values.markdown, `${markdown}\n`);
process.exitCode = allPassed(result) ? 0 : 1;
