// The server side of each benchmark, on its own thread (its own event loop and core).
import { createServer } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { NodeIdentity, PeerConnectionRegistry } from '../dist/index.js';

const HASH = Buffer.alloc(32, 0xab);

async function echo() {
  // The physical limit: echo whatever arrives, as it arrives (frames stay length-prefixed).
  const server = createServer({ noDelay: true }, (socket) => {
    socket.setNoDelay(true);
    socket.on('data', (chunk) => socket.write(chunk));
    socket.on('error', () => {});
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { port: server.address().port, close: () => new Promise((r) => server.close(r)) };
}

async function ndjson() {
  // The seed's design: newline-delimited JSON, one new TCP connection per query.
  const server = createServer((socket) => {
    let buffered = '';
    socket.setEncoding('utf8');
    socket.on('data', (text) => {
      buffered += text;
      let nl = buffered.indexOf('\n');
      while (nl >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const req = JSON.parse(line);
        if (req.type === 'GetChainTip') {
          socket.write(
            `${JSON.stringify({ type: 'ChainTipResponse', height: 123456, hash: HASH.toString('hex') })}\n`,
          );
        }
        nl = buffered.indexOf('\n');
      }
    });
    socket.on('error', () => {});
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { port: server.address().port, close: () => new Promise((r) => server.close(r)) };
}

async function registry() {
  const r = new PeerConnectionRegistry({
    identity: NodeIdentity.generate(),
    networkId: 'tc-bench',
    genesisHash: Buffer.alloc(32, 1),
    listen: { host: '127.0.0.1', port: 0 },
    exemptLoopback: true,
    discovery: false,
    getLocalTip: () => ({ height: 123456, hash: HASH }),
    rateQuotas: { getChainTip: { ratePerSec: 1e9, burst: 1e9 } },
    limits: { maxInflightInboundPerPeer: 100_000, pingIntervalMs: 0 },
  });
  await r.start();
  return { port: r.address().port, nodeId: r.nodeId, close: () => r.stop() };
}

const modes = { echo, ndjson, registry };
const server = await modes[workerData.mode]();
parentPort.postMessage({ port: server.port, nodeId: server.nodeId });
parentPort.once('message', async () => {
  await server.close();
  parentPort.postMessage('closed');
});
