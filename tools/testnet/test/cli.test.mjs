// tc-testnet answers --help with its usage and exits 0 (it had crashed on the unknown option).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../src/cli.mjs', import.meta.url));

describe('tc-testnet command line', () => {
  it('--help and -h print the usage and exit 0', () => {
    for (const flag of ['--help', '-h']) {
      expect(execFileSync(process.execPath, [cli, flag], { encoding: 'utf8' })).toMatch(/^usage: tc-testnet/);
    }
  });
});
