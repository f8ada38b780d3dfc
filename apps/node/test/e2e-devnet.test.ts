import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanEnv, killAll, runCli } from './helpers.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tc-e2e-devnet-'));
});
afterEach(() => {
  killAll();
  rmSync(dir, { recursive: true, force: true });
});

describe('e2e: tc-node devnet', () => {
  it('`tc-node devnet --nodes 4 --duration 20` (devnet defaults: 1 s slots, 1 tx/s) exits 0 with agreeing tips', async () => {
    const r = await runCli(['devnet', '--nodes', '4', '--duration', '20', '--dir', join(dir, 'net')], {
      cwd: dir,
      env: cleanEnv(dir),
    });
    expect(r.stderr).toContain('devnet: all 4 node(s) up');
    expect(r.stdout).toMatch(/tips agree: {4}yes/);
    expect(r.stdout).toContain('clean exit:    yes');
    const blocks = Number(/blocks: +(\d+)/.exec(r.stdout)?.[1]);
    expect(blocks).toBeGreaterThanOrEqual(10);
    const accepted = Number(/transactions: +(\d+) accepted/.exec(r.stdout)?.[1]);
    expect(accepted).toBeGreaterThan(0);
    for (let i = 0; i < 4; i++)
      expect(r.stdout).toMatch(new RegExp(`node ${i}: height \\d+ final \\d+ tip \\w+ exit 0`));
    expect(r.code).toBe(0);
  }, 90_000);
});
