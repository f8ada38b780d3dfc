// Attacks against real tc-node processes, measured against a baseline taken in the same run:
// `rpc-slow` (100 slow HTTP clients), `bombs` (24 sessions of decode bombs against a node capped
// at --max-old-space-size=512), `lying-tip` (a peer claiming a far tip at every validator).
import { formatReport, runHostileSuite, sampleHonestRpc } from '@tc/hostile';
import { HandlerError, NodeIdentity, PeerConnectionRegistry } from '@tc/registry';
import { u64, u64ToNumber } from '@tc/wire';
import { layoutCluster, sleep, startNode, stopNode, waitForMesh } from './cluster.mjs';
import { metricSum, metricValue } from './rpc.mjs';

async function oneNode(dir, slotMs = 1_000) {
  const nodes = await layoutCluster({ dir, count: 1, slotMs });
  await startNode(nodes[0]);
  return nodes;
}

/** `@tc/hostile`'s case(s) against one node, P2P and RPC targets both given. */
async function hostileAgainst(node, cases, extra = {}) {
  const info = await node.rpc.call('getblockchaininfo');
  const [host, port] = node.p2p.split(':');
  const rpc = new URL(node.rpc.url);
  return runHostileSuite({
    target: { host, port: Number(port) },
    rpc: { host: rpc.hostname, port: Number(rpc.port) },
    networkId: info.network,
    genesisHash: Buffer.from(info.genesisHash, 'hex'),
    cases,
    // Under the node's getChainTip quota (2/s): an honest peer's pace, not a flood.
    probe: { worker: false, intervalMs: 550, baselineMs: 5_000, minSamples: 5 },
    ...extra,
  });
}

export async function rpcSlowRun({ dir, clients = 100, seconds = 10, log }) {
  const [node] = await oneNode(dir);
  try {
    log(`${clients} slow clients (after a ${seconds} s baseline)`);
    const report = await hostileAgainst(node, ['rpc-slow'], {
      rpcSlow: { clients, windowMs: seconds * 1_000 },
    });
    const text = await node.rpc.metrics();
    const cut = (reason) => metricValue(text, 'tc_node_http_connections_cut_total', `reason="${reason}"`);
    const { data } = report.cases[0];
    return {
      clientsOpened: data.opened,
      clientsCut: data.cut,
      cutByReason: {
        headers_timeout: cut('headers_timeout'),
        evicted: cut('evicted'),
        refused: cut('refused'),
      },
      baseline: data.baseline,
      during: data.during,
      rpcP99Ratio: data.rpcRatio,
      healthP99Ratio: data.healthRatio,
      pass: report.cases[0].pass,
      table: formatReport(report),
    };
  } finally {
    await stopNode(node);
  }
}

export async function bombsRun({ dir, sessions = 24, heapMiB = 512, log }) {
  process.env.TC_LOAD_NODE_ARGS = `${process.env.TC_LOAD_NODE_ARGS ?? ''} --max-old-space-size=${heapMiB}`;
  const [node] = await oneNode(dir);
  try {
    const baseline = await sampleHonestRpc(node.rpc.url, 5_000);
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
    const honest = sampleHonestRpc(node.rpc.url, 15_000);
    const report = await hostileAgainst(node, ['decode-bomb'], { decodeBomb: { sessions } });
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
