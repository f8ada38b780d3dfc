// Attacks against real tc-node processes, measured against a baseline taken in the same run:
// `rpc-slow` (100 slow HTTP clients), `bombs` (24 sessions of decode bombs against a node capped
// at --max-old-space-size=512), `lying-tip` (a peer claiming a far tip at every validator).
import { connect } from 'node:net';
import { formatReport, runHostileSuite } from '@tc/hostile';
import { HandlerError, NodeIdentity, PeerConnectionRegistry } from '@tc/registry';
import { u64, u64ToNumber } from '@tc/wire';
import { layoutCluster, sleep, startNode, stopNode, waitForMesh } from './cluster.mjs';
import { metricSum, metricValue } from './rpc.mjs';
import { percentile } from './step.mjs';

/** Sequential honest calls for `ms`: latencies of getblockchaininfo and of GET /health. */
async function sampleHonest(node, ms) {
  const rpc = [];
  const health = [];
  let failures = 0;
  const end = performance.now() + ms;
  const url = node.rpc.url.replace(/\/$/, '');
  for (let i = 0; i < 100_000 && performance.now() < end; i++) {
    const t0 = performance.now();
    try {
      await node.rpc.call('getblockchaininfo', [], 5_000);
      rpc.push(performance.now() - t0);
      if (i % 5 === 0) {
        const t1 = performance.now();
        const r = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5_000) });
        await r.text();
        if (r.status < 500) health.push(performance.now() - t1);
        else failures++;
      }
    } catch {
      failures++;
    }
    await sleep(5);
  }
  const stat = (xs) => ({ n: xs.length, p50: percentile(xs, 50), p99: percentile(xs, 99) });
  return { rpc: stat(rpc), health: stat(health), failures };
}

/** `count` clients that send a request line and then one header byte every `intervalMs`. */
function slowClients(port, count, intervalMs) {
  const sockets = [];
  let cut = 0;
  for (let i = 0; i < count; i++) {
    const s = connect(port, '127.0.0.1');
    s.on('error', () => undefined);
    s.on('close', () => cut++);
    s.write('POST / HTTP/1.1\r\nHost: x\r\n');
    const timer = setInterval(() => (s.destroyed ? clearInterval(timer) : s.write('x')), intervalMs);
    timer.unref();
    sockets.push(s);
  }
  const stop = () => {
    for (const s of sockets) s.destroy();
  };
  return { stop, cutCount: () => cut };
}

async function oneNode(dir, slotMs = 1_000) {
  const nodes = await layoutCluster({ dir, count: 1, slotMs });
  await startNode(nodes[0]);
  return nodes;
}

export async function rpcSlowRun({ dir, clients = 100, seconds = 10, log }) {
  const [node] = await oneNode(dir);
  try {
    const port = Number(new URL(node.rpc.url).port);
    log('baseline');
    const baseline = await sampleHonest(node, seconds * 1_000);
    log(`${clients} slow clients`);
    // Replaced as they are cut (by their deadline or for room), so the pressure lasts.
    const waves = [slowClients(port, clients, 500)];
    const refill = setInterval(() => waves.push(slowClients(port, 10, 500)), 1_000);
    const during = await sampleHonest(node, seconds * 1_000);
    clearInterval(refill);
    for (const w of waves) w.stop();
    const text = await node.rpc.metrics();
    return {
      clientsOpened: clients + 10 * (waves.length - 1),
      clientsCut: waves.reduce((s, w) => s + w.cutCount(), 0),
      cutByReason: {
        headers_timeout: metricValue(text, 'tc_node_http_connections_cut_total', 'reason="headers_timeout"'),
        evicted: metricValue(text, 'tc_node_http_connections_cut_total', 'reason="evicted"'),
        refused: metricValue(text, 'tc_node_http_connections_cut_total', 'reason="refused"'),
      },
      baseline,
      during,
      rpcP99Ratio: during.rpc.p99 / baseline.rpc.p99,
      healthP99Ratio: during.health.p99 / baseline.health.p99,
    };
  } finally {
    await stopNode(node);
  }
}

export async function bombsRun({ dir, sessions = 24, heapMiB = 512, log }) {
  process.env.TC_LOAD_NODE_ARGS = `${process.env.TC_LOAD_NODE_ARGS ?? ''} --max-old-space-size=${heapMiB}`;
  const [node] = await oneNode(dir);
  try {
    const info = await node.rpc.call('getblockchaininfo');
    const [host, port] = node.p2p.split(':');
    const baseline = await sampleHonest(node, 5_000);
    let peakRss = 0;
    let sampling = true;
    const rss = (async () => {
      while (sampling) {
        const text = await node.rpc.metrics().catch(() => '');
        peakRss = Math.max(peakRss, metricValue(text, 'tc_node_process_resident_memory_bytes') || 0);
        await sleep(200);
      }
    })();
    log(`${sessions} sessions of decode bombs`);
    const honest = sampleHonest(node, 15_000);
    const report = await runHostileSuite({
      target: { host, port: Number(port) },
      networkId: info.network,
      genesisHash: Buffer.from(info.genesisHash, 'hex'),
      cases: ['decode-bomb'],
      decodeBomb: { sessions },
      // Under the node's getChainTip quota (2/s): an honest peer's pace, not a flood.
      probe: { worker: false, intervalMs: 550, baselineMs: 5_000, minSamples: 5 },
    });
    const during = await honest;
    sampling = false;
    await rss;
    const alive = await node.rpc.call('getblockchaininfo', [], 5_000).then(
      () => true,
      () => false,
    );
    const text = await node.rpc.metrics().catch(() => '');
    return {
      heapMiB,
      sessions,
      alive,
      exited: node.child.exitCode !== null || node.child.signalCode !== null,
      peakRssMiB: peakRss / 2 ** 20,
      bans: metricSum(text, 'tc_registry_bans_total'),
      case: report.cases[0],
      table: formatReport(report),
      baseline,
      during,
      rpcP99Ratio: during.rpc.p99 / baseline.rpc.p99,
    };
  } finally {
    await stopNode(node);
  }
}

/** A peer that claims a far (but plausible) tip, answers hashes with the real ones, serves nothing. */
async function startLiar(nodes) {
  const info = await nodes[0].rpc.call('getblockchaininfo');
  const liar = new PeerConnectionRegistry({
    identity: NodeIdentity.generate(),
    networkId: info.network,
    genesisHash: Buffer.from(info.genesisHash, 'hex'),
    listen: false,
    discovery: false,
    limits: { closeTimeoutMs: 500 },
  });
  let disconnects = 0;
  liar.on('peer:disconnect', () => disconnects++);
  liar.handle('getChainTip', async () => {
    const tip = await nodes[0].rpc.call('getblockchaininfo');
    return { height: u64(tip.height + 1_000_000), hash: Buffer.from(tip.bestBlockHash, 'hex') };
  });
  liar.handle('getBlockHash', async (body) => {
    const hash = await nodes[0].rpc.call('getblockhash', [u64ToNumber(body.height)]).catch(() => undefined);
    return { height: body.height, hash: hash ? Buffer.from(hash, 'hex') : new Uint8Array(0) };
  });
  // biome-ignore lint/correctness/useYield: the liar serves no block, it only stalls and refuses
  liar.handle('getBlockRange', async function* () {
    await sleep(9_000);
    throw new HandlerError('NOT_FOUND', 'no such blocks');
  });
  await liar.start();
  // It comes back as soon as it is dropped (a new session is cheap for it), for the whole run.
  let running = true;
  const redial = (async () => {
    for (let i = 0; running && i < 10_000; i++) {
      const have = new Set(liar.peers().map((p) => p.address));
      for (const n of nodes) if (!have.has(n.p2p)) await liar.dial(n.p2p).catch(() => undefined);
      await sleep(500);
    }
  })();
  const stop = async () => {
    running = false;
    await redial;
    await liar.stop();
  };
  return { liar, stop, disconnects: () => disconnects };
}

export async function lyingTipRun({ dir, count = 3, seconds = 30, log }) {
  const nodes = await layoutCluster({ dir, count, slotMs: 1_000 });
  await Promise.all(nodes.map((n) => startNode(n)));
  try {
    await waitForMesh(nodes, count - 1);
    const height = async () => (await nodes[0].rpc.call('getblockchaininfo')).height;
    await sleep(3_000);
    const h0 = await height();
    await sleep(seconds * 1_000);
    const h1 = await height();
    log('a liar at every validator');
    const { liar, stop, disconnects } = await startLiar(nodes);
    await sleep(seconds * 1_000);
    const h2 = await height();
    const connected = liar.peers().length;
    await stop();
    const baseline = h1 - h0;
    const attacked = h2 - h1;
    return {
      validators: count,
      seconds,
      baselineBlocks: baseline,
      attackedBlocks: attacked,
      ratio: attacked / baseline,
      liarDisconnects: disconnects(),
      liarConnectedAtEnd: connected,
    };
  } finally {
    await Promise.all(nodes.map((n) => stopNode(n)));
  }
}
