// Benchmark of the RPC path, against baselines measured in the same run:
//   1. dispatcher: RpcDispatcher.handleText vs JSON.parse + JSON.stringify of the same call;
//   2. HTTP: NodeHttpServer (auth, body limit, dispatcher) vs a bare node:http JSON server,
//      both on 127.0.0.1 with keep-alive and a fixed number of concurrent clients.
// Not a test: run on demand with `pnpm --filter @tc/node bench` (after a build).
import { Agent, createServer, request } from 'node:http';
// Internals (the public face does not export the server pieces): the internal entry.
import { NodeHttpServer, RpcDispatcher } from '../dist/internal.js';

const HASH = 'ab'.repeat(32);
const api = {
  getBlockchainInfo: async () => ({
    network: 'devnet',
    height: 1,
    bestBlockHash: HASH,
    bestBlockTimeMs: 0,
    genesisHash: HASH,
    sync: { state: 'synced', targetHeight: 1, progress: 1 },
  }),
  getBlockHash: async () => HASH,
};
const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'getblockhash', params: [1] });
const answer = JSON.stringify({ jsonrpc: '2.0', id: 1, result: HASH });

async function timeLoop(n, fn) {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn();
  return n / ((performance.now() - t0) / 1000);
}

async function dispatcher() {
  const d = new RpcDispatcher({ api });
  const n = 200_000;
  await timeLoop(10_000, () => d.handleText(body));
  const base = await timeLoop(n, async () => {
    const req = JSON.parse(body);
    return JSON.stringify({ jsonrpc: '2.0', id: req.id, result: HASH });
  });
  const ours = await timeLoop(n, () => d.handleText(body));
  return { base, ours };
}

function post(port, agent) {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/',
        agent,
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', resolve);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function load(port, total, clients) {
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  let left = total;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (left-- > 0) await post(port, agent);
    }),
  );
  agent.destroy();
  return total / ((performance.now() - t0) / 1000);
}

async function http() {
  const bare = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      JSON.parse(Buffer.concat(chunks).toString());
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(answer) });
      res.end(answer);
    });
  });
  await new Promise((r) => bare.listen(0, '127.0.0.1', r));
  const ours = new NodeHttpServer({
    host: '127.0.0.1',
    port: 0,
    authToken: undefined,
    dispatcher: new RpcDispatcher({ api }),
  });
  const { port } = await ours.listen();
  const barePort = bare.address().port;
  const total = 20_000;
  const clients = 16;
  await load(barePort, 2000, clients);
  await load(port, 2000, clients);
  const base = await load(barePort, total, clients);
  const mine = await load(port, total, clients);
  bare.close();
  await ours.close(1000);
  return { base, ours: mine };
}

const fmt = (x) => Math.round(x).toLocaleString('en-US');
const d = await dispatcher();
console.log(
  `dispatcher  getblockhash: ${fmt(d.ours)} calls/s; JSON.parse+stringify baseline ${fmt(d.base)}/s; ratio ${(d.ours / d.base).toFixed(3)}`,
);
const h = await http();
console.log(
  `http        getblockhash: ${fmt(h.ours)} req/s; bare node:http baseline ${fmt(h.base)}/s; ratio ${(h.ours / h.base).toFixed(3)}`,
);
