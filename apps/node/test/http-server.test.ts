import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { waitFor } from '@tc/test-utils';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createNodeMetrics,
  type HealthSnapshot,
  NodeHttpServer,
  type NodeMetrics,
  RPC_ERRORS,
  RpcDispatcher,
  rpcUrl,
} from '../src/internal.js';
import { NODE_VERSION } from '../src/version.js';
import { FakeApi } from './fake-api.js';

const TOKEN = 'test-token-0123456789';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function http(
  port: number,
  opts: { method?: string; path?: string; body?: string | Buffer; headers?: Record<string, string | number> },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: opts.method ?? 'POST',
        path: opts.path ?? '/',
        headers: opts.headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.setTimeout(5000, () => req.destroy(new Error('test request timed out')));
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

const call = (port: number, method: string, params: unknown[] = [], headers: Record<string, string> = {}) =>
  http(port, {
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    headers: { 'Content-Type': 'application/json', ...headers },
  });

interface Harness {
  server: NodeHttpServer;
  port: number;
  api: FakeApi;
  metrics: NodeMetrics;
  health: { snapshot: HealthSnapshot };
}

const open: Harness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) {
    await h.server.close(500);
    h.metrics.close();
  }
});

async function start(
  authToken?: string,
  maxConnections = 64,
  extra: { headersTimeoutMs?: number; receiveTimeoutMs?: number } = {},
): Promise<Harness> {
  const api = new FakeApi();
  const register = new Registry();
  const metrics = createNodeMetrics(register, { info: { version: '0.1.0', network: 'devnet' } });
  const health = {
    snapshot: {
      ready: true,
      height: 1,
      sync: { state: 'synced', targetHeight: 1, progress: 1 },
      peers: 1,
    } as HealthSnapshot,
  };
  let server!: NodeHttpServer;
  const dispatcher = new RpcDispatcher({
    api,
    maxBatch: 10,
    requestTimeoutMs: 5000,
    observe: metrics.rpcObserver,
    isShuttingDown: () => server.stopping,
  });
  server = new NodeHttpServer({
    host: '127.0.0.1',
    port: 0,
    ...(authToken ? { authToken } : {}),
    maxBodyBytes: 4096,
    maxConnections,
    ...extra,
    dispatcher,
    metricsRegistry: register,
    metrics,
    health: { health: () => health.snapshot },
  });
  const { port } = await server.listen();
  metrics.bindSources({
    ready: () => !server.stopping,
    pool: () => ({
      threads: 1,
      queueSize: 3,
      maxQueue: 64,
      utilization: 0.25,
      waitTimeMs: { p50: 1, p99: 9, max: 12 },
    }),
  });
  const h = { server, port, api, metrics, health };
  open.push(h);
  return h;
}

describe('JSON-RPC over HTTP', () => {
  it('answers calls and batches', async () => {
    const { port } = await start();
    const r = await call(port, 'getbalance', ['ab'.repeat(32)]);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json');
    expect(JSON.parse(r.body).result.balance).toBe('1152921504606846976');
    const batch = await http(port, {
      body: JSON.stringify([
        { jsonrpc: '2.0', id: 1, method: 'getblockcount' },
        { jsonrpc: '2.0', id: 2, method: 'getmempoolinfo' },
      ]),
    });
    expect(JSON.parse(batch.body)).toHaveLength(2);
    const notification = await http(port, {
      body: JSON.stringify({ jsonrpc: '2.0', method: 'getblockcount' }),
    });
    expect(notification.status).toBe(204);
  });

  it('survives malformed bodies and garbage on the socket', async () => {
    const { port } = await start();
    for (const body of [
      '',
      '{',
      'null',
      '[]',
      '"x"',
      '\u0000\u0001',
      '{"jsonrpc":"2.0","id":1,"method":"getblock","params":[{}]}',
    ]) {
      const r = await http(port, { body });
      expect(r.status, body).toBe(200);
      expect(JSON.parse(r.body).error.code, body).toBeLessThan(0);
    }
    await new Promise<void>((resolve) => {
      const s = connect(port, '127.0.0.1', () => s.end('NOT HTTP AT ALL\r\n\r\n'));
      s.on('close', () => resolve());
      s.on('error', () => resolve());
      s.resume();
    });
    expect((await call(port, 'getblockcount')).status).toBe(200);
  });

  it('refuses an oversize body with 413 and -32003 (declared or streamed)', async () => {
    const { port } = await start();
    const big = Buffer.alloc(64 * 1024, 0x20);
    const declared = await http(port, { body: big, headers: { 'Content-Length': big.length } }).catch(
      (e: Error) => e,
    );
    if (declared instanceof Error) expect(declared.message).toMatch(/EPIPE|ECONNRESET|socket hang up/);
    else {
      expect(declared.status).toBe(413);
      expect(JSON.parse(declared.body).error.code).toBe(RPC_ERRORS.BODY_TOO_LARGE);
    }
    const streamed = await new Promise<Reply | Error>((resolve) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      });
      req.on('error', (e) => resolve(e));
      req.write(Buffer.alloc(3000, 0x20));
      req.write(Buffer.alloc(3000, 0x20));
      setTimeout(() => req.end(), 50).unref();
    });
    if (streamed instanceof Error) expect(streamed.message).toMatch(/EPIPE|ECONNRESET|socket hang up/);
    else expect(streamed.status).toBe(413);
    expect((await call(port, 'getblockcount')).status).toBe(200);
  });

  it('GET / is 405, unknown paths are 404', async () => {
    const { port } = await start();
    expect((await http(port, { method: 'GET' })).status).toBe(405);
    expect((await http(port, { method: 'GET', path: '/nope' })).status).toBe(404);
  });
});

describe('connection bound', () => {
  it('at rpc.maxConnections a newcomer takes the slot of a client still sending its request, never of one being served; probes keep a reserve', async () => {
    const h = await start(undefined, 2);
    // Two clients that never finish their headers hold both slots.
    const slow = await Promise.all([0, 1].map(() => slowClient(h.port)));
    expect((await call(h.port, 'getblockcount')).status).toBe(200);
    await waitFor(() => slow.filter((s) => s.destroyed).length >= 1, 5_000, 'a slow client cut for room');
    for (const s of slow) s.destroy();
    // Two calls being served hold both slots: a third client is refused, they are not cut.
    let release!: () => void;
    h.api.gate = new Promise<void>((r) => {
      release = r;
    });
    const served = [call(h.port, 'getpeerinfo'), call(h.port, 'getpeerinfo')];
    await waitFor(() => h.api.atGate === 2, 5_000, 'both calls being served');
    // No slot to free: a reserve connection answers the probes and turns RPC away (503).
    expect((await http(h.port, { method: 'GET', path: '/health' })).status).toBe(200);
    expect((await call(h.port, 'getblockcount')).status).toBe(503);
    release();
    for (const r of await Promise.all(served)) expect(r.status).toBe(200);
    expect((await call(h.port, 'getblockcount')).status).toBe(200);
    const text = await (await http(h.port, { method: 'GET', path: '/metrics' })).body;
    expect(text).toMatch(/tc_node_http_connections_cut_total\{reason="evicted"\} [1-9]/);
  });

  it('100 slow clients: honest calls and /health are still answered, and the header deadline cuts them', async () => {
    const h = await start(undefined, 64, { headersTimeoutMs: 1_000, receiveTimeoutMs: 3_000 });
    const slow = await Promise.all(Array.from({ length: 100 }, () => slowClient(h.port)));
    for (let i = 0; i < 5; i++) {
      expect((await call(h.port, 'getblockcount')).status).toBe(200);
      expect((await http(h.port, { method: 'GET', path: '/health' })).status).toBe(200);
    }
    // Still trickling bytes, every one of them is cut: by its deadline or for room.
    await waitFor(() => slow.every((s) => s.destroyed), 10_000, 'every slow client cut');
    const text = await (await http(h.port, { method: 'GET', path: '/metrics' })).body;
    expect(text).toMatch(/tc_node_http_connections_cut_total\{reason="headers_timeout"\} [1-9]/);
  });

  it('a refused request closes its connection, so a client that keeps sending keeps no slot', async () => {
    const h = await start(undefined, 64);
    const s = await slowClient(h.port, 'GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor(() => s.destroyed, 5_000, 'the refused connection closed');
    expect(s.received).toMatch(/^HTTP\/1.1 404/);
  });

  it('rpcUrl brackets IPv6 and dials wildcard binds on loopback', () => {
    expect(rpcUrl('127.0.0.1', 1)).toBe('http://127.0.0.1:1/');
    expect(rpcUrl('::1', 2)).toBe('http://[::1]:2/');
    expect(rpcUrl('0.0.0.0', 3)).toBe('http://127.0.0.1:3/');
    expect(rpcUrl('::', 4)).toBe('http://[::1]:4/');
  });
});

describe('auth token', () => {
  it('RPC and /metrics need the bearer token; /health does not', async () => {
    const { port } = await start(TOKEN);
    const none = await call(port, 'getblockcount');
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body).error.code).toBe(RPC_ERRORS.UNAUTHORIZED);
    expect((await call(port, 'getblockcount', [], { Authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await call(port, 'getblockcount', [], { Authorization: `Basic ${TOKEN}` })).status).toBe(401);
    expect((await call(port, 'getblockcount', [], { Authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    expect((await http(port, { method: 'GET', path: '/metrics' })).status).toBe(401);
    const m = await http(port, {
      method: 'GET',
      path: '/metrics',
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    expect(m.status).toBe(200);
    expect((await http(port, { method: 'GET', path: '/health' })).status).toBe(200);
  });
});

describe('/metrics and /health', () => {
  it('serves tc_node_* metrics in the Prometheus text format', async () => {
    const { port } = await start();
    await call(port, 'getblockcount');
    await call(port, 'nosuch');
    // The event-loop delay histogram has samples only once its 10 ms timer has fired (later on a
    // loaded machine): wait for the outcome, bounded, instead of a fixed sleep.
    let r = await http(port, { method: 'GET', path: '/metrics' });
    for (let i = 0; i < 100 && !r.body.includes('tc_node_event_loop_lag_seconds{stat="p99"}'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      r = await http(port, { method: 'GET', path: '/metrics' });
    }
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toContain('text/plain');
    const lines = r.body.split('\n');
    const has = (prefix: string) =>
      expect(
        lines.some((l) => l.startsWith(prefix)),
        prefix,
      ).toBe(true);
    has(`tc_node_info{version="${NODE_VERSION}",network="devnet"} 1`);
    has('tc_node_event_loop_lag_seconds{stat="p99"}');
    has('tc_node_event_loop_utilization_ratio ');
    has('tc_node_pool_queue_size 3');
    has('tc_node_pool_queue_capacity 64');
    has('tc_node_pool_utilization_ratio 0.25');
    has('tc_node_pool_wait_seconds{stat="p99"} 0.009');
    has('tc_node_pool_threads 1');
    has('tc_node_ready 1');
    has('tc_node_rpc_requests_total{method="getblockcount",code="0"} 1');
    has('tc_node_rpc_requests_total{method="unknown",code="-32601"} 1');
    has('tc_node_rpc_request_seconds_bucket{le="0.001",method="getblockcount"}');
    has('tc_node_http_responses_total{route="rpc",status="200"}');
    has('tc_node_process_cpu_user_seconds_total');
    has('tc_node_nodejs_heap_size_used_bytes');
  });

  it('health reports liveness, readiness and sync state', async () => {
    const h = await start();
    const ok = await http(h.port, { method: 'GET', path: '/health' });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toMatchObject({
      status: 'ok',
      live: true,
      ready: true,
      height: 1,
      peers: 1,
      sync: { state: 'synced', targetHeight: 1, progress: 1 },
    });
    h.health.snapshot = {
      ready: false,
      height: 5,
      sync: { state: 'syncing', targetHeight: 10, progress: 0.5 },
      peers: 2,
      reasons: ['syncing'],
    };
    const syncing = await http(h.port, { method: 'GET', path: '/health' });
    expect(syncing.status).toBe(503);
    expect(JSON.parse(syncing.body)).toMatchObject({
      status: 'not_ready',
      live: true,
      ready: false,
      reasons: ['syncing'],
    });
    expect((await http(h.port, { method: 'GET', path: '/health/live' })).status).toBe(200);
    expect((await http(h.port, { method: 'GET', path: '/health/ready' })).status).toBe(503);
  });
});

describe('close', () => {
  it('lets an in-flight call finish, then refuses new ones', async () => {
    const h = await start();
    let release!: () => void;
    h.api.gate = new Promise<void>((r) => {
      release = r;
    });
    const inflight = call(h.port, 'getpeerinfo');
    await waitFor(() => h.api.atGate === 1, 5_000, 'the call being served');
    const closing = h.server.close(3000);
    expect(h.server.stopping).toBe(true);
    setTimeout(release, 50).unref();
    const r = await inflight;
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).result).toHaveLength(1);
    expect(await closing).toBe(true);
    await expect(call(h.port, 'getblockcount')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('cuts a call that does not finish within the close timeout', async () => {
    const h = await start();
    h.api.gate = new Promise<void>(() => {});
    const inflight = call(h.port, 'getpeerinfo').catch((e: Error) => e);
    await new Promise((r) => setTimeout(r, 50));
    expect(await h.server.close(200)).toBe(false);
    expect(await inflight).toBeInstanceOf(Error);
  });
});

/** A client that sends `head` and then one more header byte every 100 ms until it is cut. */
async function slowClient(
  port: number,
  head = 'POST / HTTP/1.1\r\nHost: x\r\n',
): Promise<Socket & { received: string }> {
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
  });
  const out = socket as Socket & { received: string };
  out.received = '';
  socket.on('data', (d: Buffer) => {
    out.received += d.toString();
  });
  socket.on('error', () => undefined);
  socket.write(head);
  const timer = setInterval(() => {
    if (socket.destroyed || socket.writableEnded) clearInterval(timer);
    else socket.write('x');
  }, 100);
  timer.unref();
  socket.on('close', () => clearInterval(timer));
  return out;
}
