import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CONFIG, RpcCallError } from '../src/internal.js';
import { type E2eNode, layoutCluster, startNode, until } from './e2e-helpers.js';
import { CLI, cleanEnv, killAll, runCli } from './helpers.js';

/** One real node (built dist/cli.js, 300 ms slots) for hostile RPC input; bad configs need none. */
let dir: string;
let node: E2eNode;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tc-e2e-rpc-'));
  [node] = (await layoutCluster(join(dir, 'net'), 1, 300, { rpc: { maxBodyBytes: 65_536 } })) as [E2eNode];
  await startNode(node, dir);
}, 30_000);

afterAll(() => {
  killAll();
  rmSync(dir, { recursive: true, force: true });
});

/** POSTs raw bytes; resolves with the status and body, or the socket error's code. */
function post(url: string, body: Buffer | string, headers: Record<string, string | number> = {}) {
  return new Promise<{ status: number; body: string } | { error: string }>((resolve) => {
    const req = request(
      url,
      { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', (e) => resolve({ error: (e as NodeJS.ErrnoException).code ?? e.message }));
      },
    );
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    req.end(body);
  });
}

/** Writes raw bytes to the RPC port and returns what comes back before the server closes. */
function raw(port: number, bytes: Buffer | string): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let out = '';
    s.on('data', (c) => {
      out += c.toString();
    });
    s.on('error', () => resolve(out));
    s.on('close', () => resolve(out));
    s.setTimeout(5000, () => s.destroy());
    s.end(bytes);
  });
}

describe('e2e: the RPC survives malformed and oversize requests', () => {
  it('answers garbage, bad JSON, bad params, bad transactions and oversize bodies, and keeps serving', async () => {
    const url = node.url;
    const port = Number(new URL(url).port);
    const getCount = () => node.rpc.call<number>('getblockcount');
    const h0 = await getCount();

    // Not HTTP at all.
    expect(await raw(port, Buffer.from([0, 1, 2, 255, 254, 13, 10, 13, 10]))).toMatch(/^HTTP\/1\.1 400/);
    // Not JSON, not JSON-RPC, unknown method.
    const notJson = await post(url, '{"jsonrpc":"2.0",');
    expect(notJson).toMatchObject({ status: 200 });
    expect(JSON.parse((notJson as { body: string }).body).error.code).toBe(-32700);
    const notRpc = await post(url, '[1,2,3]');
    expect(JSON.parse((notRpc as { body: string }).body)[0].error.code).toBe(-32600);
    // Declared oversize (refused before reading) and streamed oversize (no Content-Length).
    const big = Buffer.alloc(200_000, 'a');
    const declared = await post(url, big);
    if ('status' in declared) expect(declared.status).toBe(413);
    const streamed = await post(url, big, { 'Transfer-Encoding': 'chunked' });
    if ('status' in streamed) expect(streamed.status).toBe(413);
    // Bad parameters and hostile transactions through the real chain API.
    await expect(node.rpc.call('getblock', ['zz'])).rejects.toMatchObject({ rpcCode: -32602 });
    await expect(node.rpc.call('getblockhash', [1_000_000])).rejects.toMatchObject({ rpcCode: -8 });
    await expect(node.rpc.call('getblock', ['00'.repeat(32)])).rejects.toMatchObject({ rpcCode: -5 });
    await expect(node.rpc.call('gettransaction', ['00'.repeat(32)])).rejects.toMatchObject({ rpcCode: -5 });
    await expect(node.rpc.call('sendrawtransaction', ['deadbeef'])).rejects.toMatchObject({ rpcCode: -25 });
    await expect(node.rpc.call('sendrawtransaction', ['ff'.repeat(30_000)])).rejects.toMatchObject({
      rpcCode: -25,
    });
    await expect(node.rpc.call('setban', ['not-an-ip', 'add'])).rejects.toMatchObject({ rpcCode: -8 });
    await expect(node.rpc.call('disconnectnode', ['1.2.3.4:5'])).rejects.toMatchObject({ rpcCode: -9 });
    // A batch of hostile calls in one request.
    const batch = await post(
      url,
      JSON.stringify([
        { jsonrpc: '2.0', id: 1, method: 'sendrawtransaction', params: ['00'] },
        { jsonrpc: '2.0', id: 2, method: 'getbalance', params: [42] },
        { jsonrpc: '2.0', id: 3, method: 'nope' },
        { jsonrpc: '2.0', id: 4, method: 'getblockcount' },
      ]),
    );
    const answers = JSON.parse((batch as { body: string }).body) as {
      id: number;
      error?: { code: number };
    }[];
    expect(answers.map((a) => a.error?.code ?? 0)).toEqual([-25, -32602, -32601, 0]);

    // Still alive and still producing.
    await until('a new block after the abuse', async () => (await getCount()) > h0, 15_000);
    const health = await fetch(`${url}health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', ready: true });
  });

  it('setban / listbanned / unban through the registry, persisted by storage', async () => {
    await node.rpc.call('setban', ['10.1.2.3', 'add', 60]);
    await node.rpc.call('setban', ['cd'.repeat(32), 'add']);
    const list = await node.rpc.call<{ target: string }[]>('listbanned');
    expect(list.map((b) => b.target).sort()).toEqual(['10.1.2.3', 'cd'.repeat(32)]);
    await node.rpc.call('setban', ['10.1.2.3', 'remove']);
    await expect(node.rpc.call('setban', ['10.1.2.3', 'remove'])).rejects.toBeInstanceOf(RpcCallError);
    expect((await node.rpc.call<{ target: string }[]>('listbanned')).map((b) => b.target)).toEqual([
      'cd'.repeat(32),
    ]);
    const metrics = await (await fetch(`${node.url}metrics`)).text();
    expect(metrics).toMatch(/tc_storage_entries\{table="bans"\} 1/);
    for (const name of [
      'tc_node_event_loop_lag_seconds',
      'tc_node_pool_queue_size',
      'tc_registry_',
      'tc_consensus_pool_',
    ]) {
      expect(metrics).toContain(name);
    }
    // Every metric the Grafana dashboard queries exists on a real node.
    const dash = readFileSync(join(CLI, '..', '..', 'dashboards', 'tc-node.json'), 'utf8');
    const queried = new Set(
      [...dash.matchAll(/\b(tc_[a-z_]+?)(?:_bucket|_sum|_count)?\b/g)].map((m) => m[1] as string),
    );
    const served = new Set([...metrics.matchAll(/^# TYPE (tc_[a-z_]+) /gm)].map((m) => m[1] as string));
    expect(queried.size).toBeGreaterThan(10);
    for (const name of queried) expect(served.has(name), name).toBe(true);
  });
});

describe('e2e: shutdown with hanging peers', () => {
  it('SIGTERM while silent and half-framed sockets hold the P2P port: exit within the bound, code says clean or forced', async () => {
    const info = await node.rpc.call<{ listen: { port: number } }>('getnetworkinfo');
    const sockets = [0, 1, 2].map(() => connect(info.listen.port, '127.0.0.1'));
    await Promise.all(sockets.map((s) => new Promise((r) => s.once('connect', r))));
    // One says nothing, one sends a length prefix and stops, one never reads what it is sent.
    sockets[1]?.write(Buffer.from([0, 0, 0, 200, 1, 2]));
    sockets[2]?.pause();
    for (const s of sockets) s.on('error', () => {});
    node.proc?.child.kill('SIGTERM');
    const exit = await node.proc?.done;
    for (const s of sockets) s.destroy();
    expect([0, 70]).toContain(exit?.code);
    const done = /"ms":(\d+),"exitCode":(\d+),"msg":"shutdown (complete|forced)"/.exec(exit?.stdout ?? '');
    expect(done).not.toBeNull();
    expect(Number(done?.[2])).toBe(exit?.code);
    expect(Number(done?.[1])).toBeLessThanOrEqual(5000);
  });
});

describe('e2e: a bad configuration is named and nothing starts', () => {
  it('a bad value in the config file, and an invalid genesis, exit 78 with the key named', async () => {
    const env = cleanEnv(dir);
    const cfg = JSON.parse(readFileSync(node.configFile, 'utf8'));
    const badFile = join(dir, 'bad.json');
    writeFileSync(
      badFile,
      JSON.stringify({ ...cfg, datadir: node.datadir, p2p: { ...cfg.p2p, port: 'eighty' } }),
    );
    const bad = await runCli(['start', '--config', badFile], { cwd: dir, env });
    expect(bad.code).toBe(EXIT_CONFIG);
    expect(bad.stderr).toContain(`p2p.port = "eighty" (file ${badFile}): expected an integer in 0..65535`);
    expect(bad.stdout).not.toContain('tc-node ready');

    const genesis = join(dir, 'genesis-bad.json');
    writeFileSync(
      genesis,
      JSON.stringify({ networkId: 'x', validators: ['nothex'], blockReward: 1, timestampMs: 1 }),
    );
    const badGenesis = await runCli(
      ['start', '--config', node.configFile, '--rpc-port', '0', '--port', '0'],
      {
        cwd: dir,
        env: { ...env, TC_GENESIS_FILE: genesis },
      },
    );
    expect(badGenesis.code).toBe(EXIT_CONFIG);
    expect(badGenesis.stderr).toContain(`genesisFile = "${genesis}"`);
    expect(badGenesis.stdout).not.toContain('tc-node ready');
  });
});
