import { connect, type Socket } from 'node:net';
import type { HostileCase } from './case.js';
import { percentile } from './latency.js';
import { sleep } from './observe.js';

/** Sequential honest JSON-RPC calls for `ms`; their latencies and failures. */
async function honestCalls(url: string, ms: number): Promise<{ latencies: number[]; failures: number }> {
  const latencies: number[] = [];
  let failures = 0;
  const end = performance.now() + ms;
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'getblockcount', params: [] });
  for (let i = 0; i < 100_000 && performance.now() < end; i++) {
    const t0 = performance.now();
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(5_000),
      });
      await res.text();
      if (res.status === 200) latencies.push(performance.now() - t0);
      else failures++;
    } catch {
      failures++;
    }
    await sleep(10);
  }
  return { latencies, failures };
}

/**
 * Slow HTTP clients against the node's RPC (only with `rpc` set, `--rpc HOST:PORT`):
 * `rpcSlow.clients` connections send a request line, then one header byte every 500 ms, and
 * are replaced as they are cut; meanwhile an honest client calls `getblockcount` in a loop. Before
 * issue 11, 64 of them held every slot of `rpc`, `/metrics` and `/health` for as long as they
 * kept sending. Expected on a tc node: each is cut by its own deadline or for room (the one
 * receiving longest goes first), never a connection being served. Required: the honest calls'
 * p99 within the latency rule's factor of their own baseline, taken first.
 */
export const rpcSlow: HostileCase = {
  name: 'rpc-slow',
  expected: 'slow clients cut (deadline or room); honest RPC p99 within the factor of its baseline',
  async run(ctx) {
    const rpc = ctx.o.rpc;
    if (!rpc) return { reactions: ['none'], detail: 'no --rpc target: skipped', ok: true, data: {} };
    const url = `http://${rpc.host.includes(':') ? `[${rpc.host}]` : rpc.host}:${rpc.port}/`;
    const windowMs = ctx.o.rpcSlow.windowMs;
    const baseline = await honestCalls(url, windowMs);
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
    const during = await honestCalls(url, windowMs);
    clearInterval(refill);
    for (const s of sockets) s.destroy();
    const p99 = (xs: number[]) =>
      percentile(
        [...xs].sort((a, b) => a - b),
        99,
      );
    const ratio = p99(during.latencies) / p99(baseline.latencies);
    const limit = Math.max(ctx.o.honestFactor * p99(baseline.latencies), ctx.o.latencyFloorMs);
    const ok = during.latencies.length > 0 && p99(during.latencies) <= limit;
    return {
      reactions: cut > 0 ? ['disconnect'] : ['none'],
      detail:
        `${sockets.length} slow clients opened, ${cut} cut; honest getblockcount p99 ${p99(during.latencies).toFixed(2)} ms ` +
        `vs ${p99(baseline.latencies).toFixed(2)} ms before (${ratio.toFixed(2)}×), ${during.failures} failed`,
      ok,
      data: {
        opened: sockets.length,
        cut,
        ratio,
        baselineP99: p99(baseline.latencies),
        duringP99: p99(during.latencies),
      },
    };
  },
};
