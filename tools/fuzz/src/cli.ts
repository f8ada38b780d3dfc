import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runWireFuzz } from './wire-fuzzer.js';

// Long fuzz runs on demand: `pnpm --filter @tc/fuzz fuzz -- --iterations 2000000 --seconds 600`.
const { values } = parseArgs({
  options: {
    iterations: { type: 'string', default: '1000000' },
    seconds: { type: 'string', default: '300' },
    seed: { type: 'string' },
    out: { type: 'string', default: 'fuzz-failures' },
  },
});
const seed = values.seed ? Number(values.seed) : Date.now() % 2 ** 31;
const report = runWireFuzz({
  iterations: Number(values.iterations),
  maxSeconds: Number(values.seconds),
  seed,
});
console.log(JSON.stringify({ ...report, failures: report.failures.length }, null, 2));
if (report.failures.length > 0) {
  mkdirSync(values.out, { recursive: true });
  for (const [i, failure] of report.failures.entries()) {
    writeFileSync(`${values.out}/wire-${seed}-${i}.json`, JSON.stringify(failure, null, 2));
  }
  console.error(`${report.failures.length} failures written to ${values.out}/ (replay with --seed ${seed})`);
  process.exit(1);
}
