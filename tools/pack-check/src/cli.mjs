#!/usr/bin/env node
// tc-pack-check: every publishable package packed, installed with npm, imported and judged.
import { packCheck, wireCopiesBesidePatch } from './pack-check.mjs';

const log = (line) => process.stderr.write(`${line}\n`);
const results = packCheck({ log });
for (const r of results) {
  for (const [name, c] of Object.entries(r.checks)) if (!c.ok) log(`\n${r.name} ${name}:\n${c.output}`);
}
const patch = wireCopiesBesidePatch();
log(
  `@tc/registry beside @tc/wire ${patch.patch}: ${patch.copies} copy of @tc/wire (${patch.versions.join(', ')})`,
);
process.exitCode = results.every((r) => r.ok) && patch.copies === 1 ? 0 : 1;
