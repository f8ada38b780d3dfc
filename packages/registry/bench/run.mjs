// `pnpm --filter @tc/registry bench`: request/response round trips over 127.0.0.1, the
// registry against two baselines measured in the same run:
//   * echo   — a bare length-prefixed echo over node:net (the physical limit);
//   * ndjson — the seed's design: newline-delimited JSON, a new TCP connection per query.
// Each server runs on its own worker thread; the client runs here. Not a test: figures vary
// with the machine, so only the ratios in one run mean anything.
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { NodeIdentity, PeerConnectionRegistry } from '../dist/index.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 1.5);
const INFLIGHT = 64;

async function withServer(mode, fn) {
  const worker = new Worker(new URL('./server-worker.mjs', import.meta.url), { workerData: { mode } });
  const info = await new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  try {
    return await fn(info);
  } finally {
    worker.postMessage('close');
    await new Promise((r) => worker.once('message', r));
    await worker.terminate();
  }
}

/** Runs `one()` sequentially, then with INFLIGHT outstanding, for SECONDS each. */
async function measure(one) {
  for (let i = 0; i < 200; i++) await one(); // warm-up
  const lat = [];
  let t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < SECONDS * 1000) {
    const s = performance.now();
    await one();
    lat.push(performance.now() - s);
    n++;
  }
  const seq = n / ((performance.now() - t0) / 1000);
  lat.sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] * 1000;
  t0 = performance.now();
  const deadline = t0 + SECONDS * 1000;
  let done = 0;
  const latPar = [];
  await Promise.all(
    Array.from({ length: INFLIGHT }, async () => {
      while (performance.now() < deadline) {
        const s = performance.now();
        await one();
        latPar.push(performance.now() - s);
        done++;
      }
    }),
  );
  const par = done / ((performance.now() - t0) / 1000);
  latPar.sort((a, b) => a - b);
  const qp = (p) => latPar[Math.min(latPar.length - 1, Math.floor(p * latPar.length))] * 1000;
  return { seq, par, p50: q(0.5), p99: q(0.99), p50par: qp(0.5), p99par: qp(0.99) };
}

/** Bare length-prefixed request/response over one connection, FIFO matching, no decoding. */
async function echoClient(port) {
  const socket = connect({ port, host: '127.0.0.1', noDelay: true });
  await new Promise((r) => socket.once('connect', r));
  const payload = Buffer.alloc(44, 7); // about the size of a getChainTip / chainTip frame
  const frame = Buffer.alloc(4 + payload.length);
  frame.writeUInt32BE(payload.length, 0);
  payload.copy(frame, 4);
  const waiters = [];
  let buf = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    while (buf.length >= 4) {
      const len = buf.readUInt32BE(0);
      if (buf.length < 4 + len) break;
      buf = buf.subarray(4 + len);
      waiters.shift()();
    }
  });
  // Writes issued in one tick go out as one write, as the registry does: without it the
  // baseline would be slower than the registry at 64 in flight and not a limit at all.
  let queued = 0;
  const flush = () => {
    socket.write(queued === 1 ? frame : Buffer.concat(Array(queued).fill(frame)));
    queued = 0;
  };
  const one = () =>
    new Promise((resolve) => {
      waiters.push(resolve);
      if (queued++ === 0) queueMicrotask(flush);
    });
  return { one, close: () => socket.destroy() };
}

/** The seed's way: a new TCP connection and one JSON line per query. */
function ndjsonClient(port) {
  const one = () =>
    new Promise((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1' });
      let text = '';
      socket.setEncoding('utf8');
      socket.on('connect', () => socket.write(`${JSON.stringify({ type: 'GetChainTip' })}\n`));
      socket.on('data', (t) => {
        text += t;
        if (text.includes('\n')) {
          JSON.parse(text.slice(0, text.indexOf('\n')));
          socket.destroy();
          resolve();
        }
      });
      socket.on('error', reject);
    });
  return { one, close: () => {} };
}

async function registryClient(port, nodeId) {
  const r = new PeerConnectionRegistry({
    identity: NodeIdentity.generate(),
    networkId: 'tc-bench',
    genesisHash: Buffer.alloc(32, 1),
    listen: false,
    exemptLoopback: true,
    discovery: false,
    limits: { maxInflightOutboundPerPeer: 100_000, pingIntervalMs: 0 },
  });
  await r.start();
  await r.dial(`127.0.0.1:${port}`);
  const msg = { kind: 'getChainTip', body: {} };
  return { one: () => r.request(nodeId, msg), close: () => r.stop() };
}

const fmt = (x) => Math.round(x).toLocaleString('en-US').padStart(9);
const us = (x) => `${x.toFixed(0).padStart(6)} µs`;

const results = {};
for (const [name, make] of [
  ['echo', (i) => echoClient(i.port)],
  ['registry', (i) => registryClient(i.port, i.nodeId)],
  ['ndjson', (i) => ndjsonClient(i.port)],
]) {
  results[name] = await withServer(name, async (info) => {
    const client = await make(info);
    try {
      return await measure(client.one);
    } finally {
      await client.close();
    }
  });
}

const e = results.echo;
const g = results.registry;
const j = results.ndjson;
console.log(
  `@tc/registry request/response on 127.0.0.1 (client here, server on a worker thread), ${SECONDS} s per figure\n`,
);
console.log(
  '                                      sequential rt/s   p50       p99      | 64 in flight rt/s   p50       p99',
);
for (const [label, r] of [
  ['bare length-prefixed echo (limit)', e],
  ['PeerConnectionRegistry.request', g],
  ['seed: NDJSON, new TCP per query', j],
]) {
  console.log(
    `${label.padEnd(36)} ${fmt(r.seq)}   ${us(r.p50)} ${us(r.p99)}  | ${fmt(r.par)}    ${us(r.p50par)} ${us(r.p99par)}`,
  );
}
console.log('');
console.log(
  `registry / echo:    sequential ${(g.seq / e.seq).toFixed(2)}×   64 in flight ${(g.par / e.par).toFixed(2)}×`,
);
console.log(
  `registry / ndjson:  sequential ${(g.seq / j.seq).toFixed(1)}×   64 in flight ${(g.par / j.par).toFixed(1)}×`,
);
