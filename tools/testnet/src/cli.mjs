#!/usr/bin/env node
// tc-testnet: N tc-node processes on their own hosts (network namespaces), WAN links, discovery,
// and the scenarios. Needs root; without namespaces it prints why in one line and exits 0.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { probeHosts } from './hosts.mjs';
import { allPassed, profileText, renderTestnetReport } from './report.mjs';
import { churn, eclipse, partition, steady } from './scenarios.mjs';
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
    profile: { type: 'string', default: 'internet' },
    scenarios: { type: 'string', default: 'steady,churn,partition,eclipse' },
    seed: { type: 'string', default: '1' },
    json: { type: 'string' },
    markdown: { type: 'string' },
  },
});
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
const tn = await startTestnet({
  count,
  validators,
  slotMs,
  profile: values.profile,
  seed: Number(values.seed),
  extraHosts: names.includes('eclipse') ? 1 : 0,
  utxos: Math.ceil(rate * seconds * 2.5),
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
try {
  for (const name of names) {
    log(`scenario ${name} …`);
    const s =
      name === 'steady'
        ? await steady(tn, { rate, seconds })
        : name === 'churn'
          ? await churn(tn, { rate: Math.round(rate / 2), seconds })
          : name === 'partition'
            ? await partition(tn, { seconds: Math.max(10, Math.round(seconds / 3)) })
            : name === 'eclipse'
              ? await eclipse(tn, { identities: 64, seconds: Math.max(15, Math.round(seconds / 3)) })
              : undefined;
    if (!s) throw new Error(`unknown scenario ${name}`);
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
