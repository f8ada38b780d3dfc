import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Counter } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createLogger,
  EXIT_FORCED,
  generateNodeKey,
  loadConfig,
  type NodeCoreFactory,
  RpcClient,
  type RunningNode,
  runNode,
  writeKeyFile,
} from '../src/internal.js';
import { FakeApi } from './fake-api.js';

let dir: string;
const nodes: RunningNode[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tc-run-'));
  writeKeyFile(join(dir, 'node-key.json'), generateNodeKey());
});
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.shutdown.shutdown('test cleanup');
  rmSync(dir, { recursive: true, force: true });
});

function quietLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _e, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { lines, logger: createLogger({ level: 'debug', stream }) };
}

/** A core like the wired one will be: its own metrics and shutdown steps in their phases. */
function fakeCore(order: string[], options: { hangPool?: boolean; api?: FakeApi } = {}): NodeCoreFactory {
  return async (ctx) => {
    const frames = new Counter({
      name: 'tc_registry_fake_frames_total',
      help: 'x',
      registers: [ctx.metricsRegistry],
    });
    frames.inc(7);
    ctx.shutdown.register({
      name: 'p2p-listener',
      phase: 'stop-accepting',
      run: () => void order.push('p2p-listener'),
    });
    ctx.shutdown.register({
      name: 'disconnect-peers',
      phase: 'disconnect',
      run: () => void order.push('disconnect-peers'),
    });
    ctx.shutdown.register({
      name: 'destroy-pool',
      phase: 'pool',
      timeoutMs: 200,
      run: () => (options.hangPool ? new Promise<void>(() => {}) : void order.push('destroy-pool')),
    });
    ctx.shutdown.register({ name: 'close-lmdb', phase: 'storage', run: () => void order.push('close-lmdb') });
    const api = options.api ?? new FakeApi();
    return {
      api,
      health: {
        health: () => ({
          ready: true,
          height: 1,
          sync: { state: 'synced', targetHeight: 1, progress: 1 },
          peers: 1,
        }),
      },
      poolStats: () => ({
        threads: 1,
        queueSize: 3,
        maxQueue: 16,
        utilization: 0.5,
        waitTimeMs: { mean: 1, p50: 1, p99: 2, max: 3 },
      }),
      start: async () => void order.push('start'),
    };
  };
}

async function start(order: string[], shutdownTimeoutMs: number, hangPool = false, api?: FakeApi) {
  const { config } = loadConfig({
    env: {},
    flags: {
      datadir: { value: dir, flag: '--datadir' },
      'rpc.port': { value: 0, flag: '--rpc-port' },
      'p2p.port': { value: 0, flag: '--port' },
      shutdownTimeoutMs: { value: shutdownTimeoutMs, flag: 'test' },
    },
  });
  const { logger, lines } = quietLogger();
  const node = await runNode(config, {
    coreFactory: fakeCore(order, { hangPool, ...(api ? { api } : {}) }),
    exit: null,
    handleSignals: false,
    logger,
  });
  nodes.push(node);
  const url = `http://127.0.0.1:${node.rpcAddress.port}/`;
  return { node, url, lines, rpc: new RpcClient({ url }) };
}

describe('runNode with a NodeCore', () => {
  it('serves the core over RPC, metrics and health, and stop runs every phase in order', async () => {
    const order: string[] = [];
    const { node, url, rpc } = await start(order, 3000);
    expect(order).toEqual(['start']);
    expect(await rpc.call('getblockcount')).toBe(1);
    const metrics = await (await fetch(`${url}metrics`)).text();
    expect(metrics).toContain('tc_node_pool_queue_size 3');
    expect(metrics).toContain('tc_registry_fake_frames_total 7');
    expect(metrics).toContain('tc_node_ready 1');
    const health = await fetch(`${url}health`);
    expect(health.status).toBe(200);

    expect(await rpc.call('stop')).toBe('tc-node stopping');
    const result = await node.stopped;
    expect(result).toMatchObject({ reason: 'rpc stop', clean: true, exitCode: 0 });
    // Phase order; within a phase, registration order (the core registers before the RPC server).
    expect(result.steps.map((s) => s.name)).toEqual([
      'p2p-listener',
      'rpc-server',
      'disconnect-peers',
      'destroy-pool',
      'close-lmdb',
      'metrics',
    ]);
    expect(order).toEqual(['start', 'p2p-listener', 'disconnect-peers', 'destroy-pool', 'close-lmdb']);
    await expect(rpc.call('getblockcount')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('a hanging pool is abandoned, LMDB is still closed, and the stop is forced (70)', async () => {
    const order: string[] = [];
    const { node, lines } = await start(order, 1000, true);
    const result = await node.shutdown.shutdown('SIGTERM');
    expect(result.exitCode).toBe(EXIT_FORCED);
    expect(result.steps.find((s) => s.name === 'destroy-pool')?.outcome).toBe('timeout');
    expect(order).toContain('close-lmdb');
    expect(lines.join('')).toContain('"msg":"shutdown forced"');
  });

  it('a call in flight when shutdown starts still gets its answer; new calls get -32004; the stop is clean', async () => {
    const api = new FakeApi();
    let release!: () => void;
    api.gate = new Promise<void>((r) => {
      release = r;
    });
    const { node, rpc } = await start([], 3000, false, api);
    const inflight = rpc.call<unknown[]>('getpeerinfo');
    await new Promise((r) => setTimeout(r, 50));
    const stopping = node.shutdown.shutdown('SIGTERM');
    await expect(rpc.call('getblockcount')).rejects.toThrow(/shutting down|ECONNREFUSED|ECONNRESET/);
    release();
    expect(await inflight).toHaveLength(1);
    const result = await stopping;
    expect(result).toMatchObject({ clean: true, exitCode: 0 });
  });
});
