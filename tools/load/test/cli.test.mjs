// The command lines answer --help with their usage and exit 0 (they had crashed on it).
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const run = (script, ...args) =>
  execFileSync(process.execPath, [new URL(`../src/${script}`, import.meta.url).pathname, ...args], {
    encoding: 'utf8',
    timeout: 30_000,
  });

describe('command lines', () => {
  it('tc-load --help and -h print the usage and exit 0', () => {
    for (const flag of ['--help', '-h']) expect(run('cli.mjs', flag)).toMatch(/^usage: tc-load/);
  });

  it('the scenarios --help prints the usage and exits 0', () => {
    expect(run('scenarios-cli.mjs', '--help')).toMatch(/^usage: scenarios-cli\.mjs churn\|restarts/);
    expect(run('scenarios-cli.mjs', 'churn', '--help')).toMatch(/^usage:/);
  });
});
