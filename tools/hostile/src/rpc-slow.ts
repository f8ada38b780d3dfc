import { connect, type Socket } from 'node:net';
import type { HostileCase } from './case.js';
import { percentile } from './latency.js';
import { sleep } from './observe.js';

/** p50 and p99 (ms) of a window of latencies, and how many there were. */
export interface LatencySummary {
  readonly n: number;
  readonly p50: number;
  readonly p99: number;
}

/** What an honest RPC client saw in one window: `getblockcount`, every 5th call also GET /health. */
export interface HonestRpcWindow {
  readonly rpc: LatencySummary;
  readonly health: LatencySummary;
  readonly failures: number;
}

function summary(xs: number[]): LatencySummary {
  const sorted = [...xs].sort((a, b) => a - b);
  return { n: xs.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

/** Sequential honest calls to the node's RPC at `url` (".../") for `ms`. */
export async function sampleHonestRpc(url: string, ms: number): Promise<HonestRpcWindow> {
  const rpc: number[] = [];
  const health: number[] = [];
  let failures = 0;
  const end = performance.now() + ms;
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'getblockcount', params: [] });
  const timed = async (out: number[], fn: () => Promise<Response>) => {
    const t0 = performance.now();
    try {
      const res = await fn();
      await res.text();
      if (res.status === 200) out.push(performance.now() - t0);
      else failures++;
    } catch {
      failures++;
    }
  };
  for (let i = 0; i < 100_000 && performance.now() < end; i++) {
    await timed(rpc, () =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(5_000),
      }),
    );
    if (i % 5 === 0) await timed(health, () => fetch(`${url}health`, { signal: AbortSignal.timeout(5_000) }));
    await sleep(5);
  }
  return { rpc: summary(rpc), health: summary(health), failures };
}

/**
 * Slow HTTP clients against the node's RPC (only with `rpc` set, `--rpc HOST:PORT`):
 * `rpcSlow.clients` connections send a request line, then one header byte every 500 ms, and
 * are replaced as they are cut; meanwhile an honest client calls `getblockcount` and GET
 * /health in a loop. Before issue 11, 64 of them held every slot of RPC, `/metrics` and `/health`
 * for as long as they kept sending. Expected on a tc node: each is cut by its own deadline or
 * for room (the one receiving longest goes first), never a connection being served. Required:
 * the honest RPC and /health p99 within the latency rule's factor of their own baseline, taken
 * first.
 */
export const rpcSlow: HostileCase = {
  name: 'rpc-slow',
  expected:
    'slow clients cut (deadline or room); honest RPC and /health p99 within the factor of their baseline',
  async run(ctx) {
    const rpc = ctx.o.rpc;
    if (!rpc) return { reactions: ['none'], detail: 'no --rpc target: skipped', ok: true, data: {} };
    const url = `http://${rpc.host.includes(':') ? `[${rpc.host}]` : rpc.host}:${rpc.port}/`;
    const windowMs = ctx.o.rpcSlow.windowMs;
    const baseline = await sampleHonestRpc(url, windowMs);
    const sockets: Socket[] = [];
    let cut = 0;
    const open = (n: number) => {
      for (let i = 0; i < n; i++) {
        const s = connect(rpc.port, rpc.host);
        s.on('error', () => undefined);
        s.on('close', () => cut++);
        s.write('POST / HTTP/1.1\r\nHost: x\r\n');
        const timer = setInterval(() => (s.destroyed ? clearInterval(timer) : s.write('x')), 500);
        timer.unref();
        sockets.push(s);
      }
    };
    open(ctx.o.rpcSlow.clients);
    // Cut ones are replaced, ten a second, so the pressure lasts the window.
    const refill = setInterval(() => open(10), 1_000);
    const during = await sampleHonestRpc(url, windowMs);
    clearInterval(refill);
    for (const s of sockets) s.destroy();
    const within = (b: LatencySummary, d: LatencySummary) =>
      d.n > 0 && d.p99 <= Math.max(ctx.o.honestFactor * b.p99, ctx.o.latencyFloorMs);
    const rpcRatio = during.rpc.p99 / baseline.rpc.p99;
    const healthRatio = during.health.p99 / baseline.health.p99;
    return {
      reactions: cut > 0 ? ['disconnect'] : ['none'],
      detail:
        `${sockets.length} slow clients opened, ${cut} cut; honest getblockcount p99 ${during.rpc.p99.toFixed(2)} ms ` +
        `vs ${baseline.rpc.p99.toFixed(2)} ms before (${rpcRatio.toFixed(2)}×), /health p99 ${healthRatio.toFixed(2)}×, ` +
        `${during.failures} failed`,
      ok: within(baseline.rpc, during.rpc) && within(baseline.health, during.health),
      data: { opened: sockets.length, cut, baseline, during, rpcRatio, healthRatio },
    };
  },
};
