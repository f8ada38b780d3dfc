import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  EXIT_CONFIG,
  EXIT_FAILURE,
  EXIT_UNAVAILABLE,
  EXIT_USAGE,
  loadConfig,
  RpcClient,
} from '../src/internal.js';
import { readKeyFile } from '../src/keys.js';
import { NODE_AGENT } from '../src/version.js';
import { cleanEnv, killAll, runCli, startCli } from './helpers.js';

let dir: string;
let env: NodeJS.ProcessEnv;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tc-cli-'));
  env = cleanEnv(dir);
});
afterEach(() => {
  killAll();
  rmSync(dir, { recursive: true, force: true });
});

const run = (args: string[], extraEnv: Record<string, string> = {}) =>
  runCli(args, { cwd: dir, env: { ...env, ...extraEnv } });

describe('keygen', () => {
  it('writes a 0600 key file and refuses to overwrite it', async () => {
    const r = await run(['keygen', '--out', 'k.json']);
    expect(r.code).toBe(0);
    const printed = JSON.parse(r.stdout);
    expect(printed.publicKey).toMatch(/^[0-9a-f]{64}$/);
    expect(printed.address).toMatch(/^[0-9a-f]{64}$/);
    const file = join(dir, 'k.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const content = JSON.parse(readFileSync(file, 'utf8'));
    expect(content).toMatchObject({ version: 1, type: 'ed25519', publicKey: printed.publicKey });
    expect(content.secretKey).toMatch(/^[0-9a-f]{64}$/);
    expect(readKeyFile(file).key.publicKey).toEqual(new Uint8Array(Buffer.from(printed.publicKey, 'hex')));
    const again = await run(['keygen', '--out', 'k.json']);
    expect(again.code).toBe(EXIT_FAILURE);
    expect(again.stderr).toContain('already exists (use --force to replace it)');
    expect((await run(['keygen', '--out', 'k.json', '--force'])).code).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8')).publicKey).not.toBe(printed.publicKey);
  });
});

describe('init', () => {
  it('devnet: key, config and a genesis with the validator set', async () => {
    const extra = 'ab'.repeat(32);
    const r = await run([
      'init',
      '--datadir',
      'd',
      '--port',
      '18000',
      '--rpc-port',
      '18001',
      '--validator',
      extra,
    ]);
    expect(r.code).toBe(0);
    const d = join(dir, 'd');
    expect(statSync(join(d, 'node-key.json')).mode & 0o777).toBe(0o600);
    const { key } = readKeyFile(join(d, 'node-key.json'));
    const genesis = JSON.parse(readFileSync(join(d, 'genesis.json'), 'utf8'));
    expect(genesis.validators).toEqual([Buffer.from(key.publicKey).toString('hex'), extra]);
    // Each validator's address is funded, its allocation split over 16 outputs.
    expect(genesis.allocations).toHaveLength(32);
    expect(new Set(genesis.allocations.map((a: { recipient: string }) => a.recipient)).size).toBe(2);
    const { config } = loadConfig({ configFile: join(d, 'config.json'), env: {} });
    expect(config).toMatchObject({
      network: 'devnet',
      datadir: d,
      p2p: { port: 18000 },
      rpc: { port: 18001 },
    });
    expect(config.keyFile).toBe(join(d, 'node-key.json'));
    const twice = await run(['init', '--datadir', 'd']);
    expect(twice.code).toBe(EXIT_FAILURE);
    expect(twice.stderr).toContain('already initialised');
  });

  it('devnet --validators N: N keys in the genesis, the extra ones written 0600', async () => {
    const r = await run(['init', '--datadir', 'v', '--validators', '3']);
    expect(r.code).toBe(0);
    const v = join(dir, 'v');
    const own = readKeyFile(join(v, 'node-key.json')).key;
    const extra = [1, 2].map((i) => join(v, 'validator-keys', `validator-${i}.json`));
    for (const f of extra) expect(statSync(f).mode & 0o777).toBe(0o600);
    const genesis = JSON.parse(readFileSync(join(v, 'genesis.json'), 'utf8'));
    expect(genesis.validators).toEqual(
      [own, ...extra.map((f) => readKeyFile(f).key)].map((k) => Buffer.from(k.publicKey).toString('hex')),
    );
    expect(r.stdout).toContain('validator-2.json');
  });

  it('testnet has no genesis; a bad port is a named config error and writes nothing', async () => {
    expect((await run(['init', '--network', 'testnet', '--datadir', 't'])).code).toBe(0);
    expect(() => statSync(join(dir, 't', 'genesis.json'))).toThrow();
    const bad = await run(['init', '--datadir', 'b', '--port', 'abc']);
    expect(bad.code).toBe(EXIT_CONFIG);
    expect(bad.stderr).toContain('p2p.port = "abc" (flag --port): expected an integer in 0..65535');
    expect(() => statSync(join(dir, 'b'))).toThrow();
  });
});

describe('bad configuration', () => {
  it('a bad file value: named error on stderr, exit 78, nothing started', async () => {
    await run(['init', '--datadir', 'd']);
    const cfg = join(dir, 'bad.json');
    writeFileSync(cfg, JSON.stringify({ datadir: 'd', rpc: { port: 'x' } }));
    const r = await run(['start', '--config', cfg]);
    expect(r.code).toBe(EXIT_CONFIG);
    expect(r.stderr).toContain(`rpc.port = "x" (file ${cfg}): expected an integer in 0..65535`);
    expect(r.stdout).not.toContain('tc-node ready');
  });

  it('env and flag errors, unknown keys and a missing key file are named', async () => {
    const envErr = await run(['start', '--datadir', 'nowhere'], { TC_SHUTDOWN_TIMEOUT_MS: '10' });
    expect(envErr.code).toBe(EXIT_CONFIG);
    expect(envErr.stderr).toContain(
      'shutdownTimeoutMs = 10 (env TC_SHUTDOWN_TIMEOUT_MS): expected an integer in 100..600000',
    );
    const cfg = join(dir, 'typo.json');
    writeFileSync(cfg, JSON.stringify({ rcp: {} }));
    const typo = await run(['start', '--config', cfg]);
    expect(typo.code).toBe(EXIT_CONFIG);
    expect(typo.stderr).toContain('rcp = {} (file');
    expect(typo.stderr).toContain('expected no such key (did you mean `rpc`?');
    // A genesis path from the environment is named as such, and the last log line has the real exit code.
    await run(['init', '--datadir', 'g']);
    const genesis = await run(
      ['start', '--datadir', 'g', '--rpc-port', '0', '--port', '0', '--log-format', 'json'],
      {
        TC_GENESIS_FILE: join(dir, 'no-such-genesis.json'),
      },
    );
    expect(genesis.code).toBe(EXIT_CONFIG);
    expect(genesis.stderr).toContain('(env TC_GENESIS_FILE)');
    expect(genesis.stdout).toMatch(
      /"exitCode":78[^\n]*"msg":"shutdown complete"|"msg":"shutdown complete"[^\n]*"exitCode":78/,
    );
    const nokey = await run(['start', '--datadir', 'empty', '--rpc-port', '0']);
    expect(nokey.code).toBe(EXIT_CONFIG);
    expect(nokey.stderr).toContain('keyFile = ');
    expect(nokey.stderr).toContain('run `tc-node init`');
    const host = await run(['start', '--datadir', 'empty', '--rpc-host', '0.0.0.0']);
    expect(host.code).toBe(EXIT_CONFIG);
    expect(host.stderr).toContain('rpc.authToken');
  });

  it('a port in use: the error on stderr and exit 1 after stopping what had started', async () => {
    await run(['init', '--datadir', 'd']);
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const r = await run([
        'start',
        '--datadir',
        'd',
        '--rpc-port',
        String(port),
        '--port',
        '0',
        '--log-format',
        'json',
      ]);
      expect(r.code).toBe(EXIT_FAILURE);
      expect(r.stderr).toContain(
        `tc-node: rpc.port: listen EADDRINUSE: address already in use 127.0.0.1:${port}`,
      );
      expect(r.stdout).toContain('"reason":"startup failed"');
      const p2p = await run(['start', '--datadir', 'd', '--rpc-port', '0', '--port', String(port)]);
      expect(p2p.code).toBe(EXIT_FAILURE);
      expect(p2p.stderr).toContain('tc-node: p2p.port: listen EADDRINUSE');
    } finally {
      blocker.close();
    }
  });

  it('usage errors exit 64', async () => {
    expect((await run(['start', '--bogus'])).code).toBe(EXIT_USAGE);
    expect((await run(['devnet', '--nodes', '99'])).code).toBe(EXIT_USAGE);
    expect((await run(['tx', 'send', '--from', 'k.json'])).code).toBe(EXIT_USAGE);
    const zero = await run(['tx', 'send', '--from', 'k.json', '--to', 'cd'.repeat(32), '--amount', '0']);
    expect(zero.code).toBe(EXIT_USAGE);
    expect(zero.stderr).toContain('at least 1');
    expect((await run(['--help'])).code).toBe(0);
  });

  it('--version prints the version of the package, as the agent string and tc_node_info do', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    const r = await run(['--version']);
    expect(r.stdout.trim()).toBe(pkg.version);
    expect(NODE_AGENT).toBe(`tc-node/${pkg.version}`);
  });

  it('status without --rpc-url, --datadir or --config says which default node it tries', async () => {
    const r = await run(['status', '--rpc-timeout', '500']);
    expect(r.code).toBe(EXIT_UNAVAILABLE);
    expect(r.stderr).toMatch(
      /no --rpc-url, --datadir or --config: trying the default node at http:\/\/127\.0\.0\.1:\d+/,
    );
    const chosen = await run(['status', '--rpc-url', 'http://127.0.0.1:9/', '--rpc-timeout', '500']);
    expect(chosen.stderr).not.toContain('trying the default node');
  });

  it('every command answers --help and -h with its usage and exit 0', async () => {
    for (const command of [
      [],
      ['init'],
      ['keygen'],
      ['start'],
      ['devnet'],
      ['status'],
      ['tx'],
      ['tx', 'send'],
    ]) {
      for (const flag of ['--help', '-h']) {
        const r = await run([...command, flag]);
        expect({ command, flag, code: r.code, stderr: r.stderr }).toEqual({
          command,
          flag,
          code: 0,
          stderr: '',
        });
        expect(r.stdout).toMatch(/^Usage: tc-node/m);
      }
    }
  });
});

describe('start, status, tx send, SIGTERM', () => {
  it('serves RPC, answers status, sends a funded transfer, refuses an unfunded one, and exits 0 on SIGTERM', async () => {
    expect((await run(['init', '--datadir', 'd'])).code).toBe(0);
    const node = startCli(
      ['start', '--datadir', 'd', '--port', '0', '--rpc-port', '0', '--log-format', 'json'],
      {
        cwd: dir,
        env,
      },
    );
    const m = await node.waitFor(/"rpc":"127\.0\.0\.1:(\d+)".*tc-node ready/);
    const url = `http://127.0.0.1:${m[1]}/`;

    const status = await run(['status', '--rpc-url', url]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/height\s+\d+/);
    expect(status.stdout).toContain('peers     0');
    const json = JSON.parse((await run(['status', '--rpc-url', url, '--json'])).stdout);
    expect(json.chain.sync.state).toBe('synced');

    // The node's own key is the devnet's one validator, funded in the genesis.
    const tx = await run([
      'tx',
      'send',
      '--from',
      join('d', 'node-key.json'),
      '--to',
      'cd'.repeat(32),
      '--amount',
      '5',
      '--rpc-url',
      url,
    ]);
    expect(tx.stderr).toBe('');
    expect(tx.code).toBe(0);
    expect(tx.stdout.trim()).toMatch(/^[0-9a-f]{64}$/);
    const seen = await new RpcClient({ url }).call<{ txid: string }>('gettransaction', [tx.stdout.trim()]);
    expect(seen.txid).toBe(tx.stdout.trim());

    await run(['keygen', '--out', 'k.json']);
    const broke = await run([
      'tx',
      'send',
      '--from',
      'k.json',
      '--to',
      'cd'.repeat(32),
      '--amount',
      '5',
      '--rpc-url',
      url,
    ]);
    expect(broke.code).toBe(EXIT_FAILURE);
    expect(broke.stderr).toContain('insufficient funds');
    const badTo = await run([
      'tx',
      'send',
      '--from',
      'k.json',
      '--to',
      'nope',
      '--amount',
      '5',
      '--rpc-url',
      url,
    ]);
    expect(badTo.code).toBe(EXIT_USAGE);

    // A call sent as SIGTERM arrives gets its answer, a clean refusal (-32004), or, when the
    // server had not read it yet, a refused/reset connection: never a half answer.
    const rpc = new RpcClient({ url, timeoutMs: 5000 });
    const inflight = rpc.call('getblockchaininfo').then(
      () => 'ok',
      (e: Error) => e.message,
    );
    node.child.kill('SIGTERM');
    const exit = await node.done;
    expect(exit.code).toBe(0);
    expect(exit.stdout).toContain('"msg":"shutdown complete"');
    expect(await inflight).toMatch(/^(ok|.*shutting down.*|.*ECONNREFUSED|.*ECONNRESET)$/);
    const after = await run(['status', '--rpc-url', url]);
    expect(after.code).toBe(EXIT_UNAVAILABLE);
    expect(after.stderr).toContain('cannot reach');
  });
});
