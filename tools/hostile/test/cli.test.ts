import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { NodeIdentity, PeerConnectionRegistry } from '@tc/registry';
import { u64 } from '@tc/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHostileSuite } from '../src/index.js';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const GENESIS = 'cd'.repeat(32);

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  if (!existsSync(CLI))
    throw new Error(`${CLI} is missing: run \`npx tsup\` (pnpm --filter @tc/hostile build) first`);
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

let target: PeerConnectionRegistry;

beforeAll(async () => {
  target = new PeerConnectionRegistry({
    identity: NodeIdentity.generate(),
    networkId: 'cli-net',
    genesisHash: Buffer.from(GENESIS, 'hex'),
    listen: { host: '127.0.0.1', port: 0 },
    discovery: false,
    exemptLoopback: true,
    rateQuotas: { getChainTip: { ratePerSec: 1_000, burst: 1_000 } },
  });
  target.handle('getChainTip', () => ({ height: u64(1), hash: new Uint8Array(32) }));
  await target.start();
});

afterAll(async () => {
  await target?.stop();
});

describe('tc-hostile CLI', () => {
  it('--help prints the usage and exits 0', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--target HOST:PORT');
  });

  it('exits 2 on a usage error', async () => {
    expect((await run(['--target', '127.0.0.1:1'])).code).toBe(2);
    const r = await run([
      '--target',
      '127.0.0.1:1',
      '--network',
      'n',
      '--genesis',
      GENESIS,
      '--cases',
      'nope',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown case "nope"');
  });

  it('exits 2 when the honest peer cannot connect', async () => {
    const r = await run(['--target', '127.0.0.1:1', '--network', 'n', '--genesis', GENESIS, '--quiet']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('honest peer could not connect');
  });

  it('runs chosen cases against a node, prints the table and exits 0 when they pass', async () => {
    const port = String(target.address()!.port);
    // Two quick cases; the honest probe every 20 ms (the target's quota allows it).
    const r = await run([
      '--target',
      `127.0.0.1:${port}`,
      '--network',
      'cli-net',
      '--genesis',
      GENESIS,
      '--cases',
      'wrong-genesis,request-flood',
      '--probe-interval',
      '20',
      '--baseline',
      '500',
      // This test is about exit codes and the table, not latency: a loose floor.
      '--floor',
      '500',
      '--quiet',
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/request-flood\s+rate-limit\+disconnect/);
    expect(r.stdout).toMatch(/wrong-genesis\s+refused\+ban/);
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 0, stdout: r.stdout.replace(/FAIL$/, '') });
  });

  it('the library can run the probe on the main thread', async () => {
    const report = await runHostileSuite({
      target: { host: '127.0.0.1', port: target.address()!.port },
      networkId: 'cli-net',
      genesisHash: GENESIS,
      cases: ['wrong-genesis'],
      latencyFloorMs: 500,
      probe: { worker: false, intervalMs: 5, baselineMs: 200 },
    });
    expect(report.probe.inWorker).toBe(false);
    expect(report.cases.map((c) => [c.name, c.pass])).toEqual([['wrong-genesis', true]]);
  });

  it('faults before the handshake (--address-bans) close the connection but ban no address', async () => {
    const port = String(target.address()!.port);
    const r = await run([
      '--target',
      `127.0.0.1:${port}`,
      '--network',
      'cli-net',
      '--genesis',
      GENESIS,
      '--cases',
      'oversized-prefix,stolen-identity',
      '--address-bans',
      '--handshake-deadline',
      '5000',
      '--probe-interval',
      '20',
      '--baseline',
      '300',
      '--floor',
      '500',
      '--quiet',
    ]);
    expect(r.stdout).toMatch(/oversized-prefix\s+ban\+disconnect.*PASS/);
    expect(r.stdout).toMatch(/stolen-identity\s+refused.*PASS/);
    expect(r.stdout).not.toContain('our address was banned');
    expect(r.code).toBe(0);
    expect(target.bans().map((b) => b.key)).not.toContain('ip:127.0.0.1');
  });
});
