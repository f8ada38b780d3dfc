import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runHandshakeFuzz } from './handshake-fuzzer.js';
import { runWireFuzz } from './wire-fuzzer.js';

// Long fuzz runs on demand:
//   pnpm --filter @tc/fuzz fuzz -- wire --iterations 2000000 --seconds 600
//   pnpm --filter @tc/fuzz fuzz -- handshake --iterations 20000 --seconds 600
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    iterations: { type: 'string', default: '1000000' },
    seconds: { type: 'string', default: '300' },
    seed: { type: 'string' },
    out: { type: 'string', default: 'fuzz-failures' },
  },
});
const target = positionals[0] ?? 'wire';
if (target !== 'wire' && target !== 'handshake') {
  console.error(`unknown fuzz target "${target}"; use wire or handshake`);
  process.exit(2);
}
const seed = values.seed ? Number(values.seed) : Date.now() % 2 ** 31;
const limits = { iterations: Number(values.iterations), maxSeconds: Number(values.seconds), seed };
const report = target === 'wire' ? runWireFuzz(limits) : await runHandshakeFuzz(limits);
console.log(JSON.stringify({ ...report, failures: report.failures.length }, null, 2));
if (report.failures.length > 0) {
  mkdirSync(values.out, { recursive: true });
  for (const [i, failure] of report.failures.entries()) {
    writeFileSync(`${values.out}/${target}-${seed}-${i}.json`, JSON.stringify(failure, null, 2));
  }
  console.error(`${report.failures.length} failures written to ${values.out}/ (replay with --seed ${seed})`);
  process.exit(1);
}
