// A cluster of real `tc-node start` processes on 127.0.0.1, laid out through @tc/node's public API.
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CONFIG_FILE_NAME,
  createDevnetGenesis,
  freePort,
  generateNodeKey,
  initDatadir,
  toHex,
} from '@tc/node';
import { RpcBatchClient } from './rpc.mjs';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The `tc-node` executable built beside @tc/node's entry (dist/cli.js). */
export function tcNodeCli() {
  return join(dirname(fileURLToPath(import.meta.resolve('@tc/node'))), 'cli.js');
}

/**
 * Lays out `count` validator nodes in `dir` (recreated): keys, one genesis (every node a
 * validator, `outputsPerValidator` genesis outputs each), and full-mesh peer lists.
 */
export async function layoutCluster({
  dir,
  count,
  slotMs,
  outputsPerValidator = 256,
  mempoolMaxTxs = 50_000,
}) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const keys = Array.from({ length: count }, () => generateNodeKey());
  const genesis = createDevnetGenesis({
    validators: keys.map((k) => toHex(k.publicKey)),
    slotMs,
    outputsPerValidator,
    allocationPerValidator: 1_000_000_000_000n,
  });
  const ports = [];
  for (let i = 0; i < count; i++) ports.push({ p2p: await freePort(), rpc: await freePort() });
  return keys.map((key, i) => {
    const datadir = join(dir, `node-${i}`);
    initDatadir({
      network: 'devnet',
      datadir,
      key,
      genesis,
      p2pHost: '127.0.0.1',
      p2pPort: ports[i].p2p,
      rpcPort: ports[i].rpc,
      peers: ports.filter((_, j) => j !== i).map((p) => `127.0.0.1:${p.p2p}`),
    });
    const configFile = join(datadir, CONFIG_FILE_NAME);
    const cfg = JSON.parse(readFileSync(configFile, 'utf8'));
    // Nodes share this machine's cores: one validation worker each. Batches of 100 calls.
    cfg.pool = { size: 1 };
    cfg.consensus = { ...cfg.consensus, mempoolMaxTxs };
    cfg.log = { level: 'info', format: 'json' };
    writeFileSync(configFile, `${JSON.stringify(cfg, null, 2)}\n`, { mode: 0o600 });
    return {
      index: i,
      datadir,
      configFile,
      key,
      genesis,
      p2p: `127.0.0.1:${ports[i].p2p}`,
      rpcUrl: `http://127.0.0.1:${ports[i].rpc}/`,
      rpc: new RpcBatchClient(`http://127.0.0.1:${ports[i].rpc}/`),
      child: undefined,
    };
  });
}

/** Every node process this process started and has not seen exit: killed if we exit first. */
const children = new Set();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    for (const child of children) child.kill('SIGKILL');
    process.exit(130);
  });
}

/** Starts a node's process (its log goes to <datadir>/node.log); resolves once its RPC answers. */
export async function startNode(node, { cli = tcNodeCli(), timeoutMs = 60_000 } = {}) {
  const log = openSync(join(node.datadir, 'node.log'), 'a');
  // TC_LOAD_NODE_ARGS: extra Node.js flags for the node processes (e.g. --cpu-prof for a profile).
  const extra = (process.env.TC_LOAD_NODE_ARGS ?? '').split(' ').filter(Boolean);
  node.child = spawn(process.execPath, [...extra, cli, 'start', '--config', node.configFile], {
    stdio: ['ignore', log, log],
  });
  node.exited = new Promise((resolve) =>
    node.child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      await node.rpc.call('getblockchaininfo', [], 2_000);
      return;
    } catch {
      await sleep(200);
    }
  }
  throw new Error(`node ${node.index} did not answer RPC within ${timeoutMs} ms`);
}

/** SIGTERM (a clean stop), or SIGKILL with `hard`; resolves once the process is gone. */
export async function stopNode(node, { hard = false, timeoutMs = 15_000 } = {}) {
  const child = node.child;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill(hard ? 'SIGKILL' : 'SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await node.exited;
  clearTimeout(timer);
}

/** Waits until every node has `minPeers` peers (bounded). */
export async function waitForMesh(nodes, minPeers, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const counts = await Promise.all(
      nodes.map((n) =>
        n.rpc.call('getpeerinfo', [], 5_000).then(
          (p) => p.length,
          () => 0,
        ),
      ),
    );
    if (counts.every((c) => c >= minPeers)) return;
    await sleep(250);
  }
  throw new Error(`cluster did not reach ${minPeers} peers per node within ${timeoutMs} ms`);
}

/** Best block of every node: { height, hash } each (null for a node that does not answer). */
export async function tips(nodes) {
  return Promise.all(
    nodes.map((n) =>
      n.rpc.call('getblockchaininfo', [], 5_000).then(
        (i) => ({ height: i.height, hash: i.bestBlockHash }),
        () => null,
      ),
    ),
  );
}

/** Bans every node lists (setban entries), all nodes together. */
export async function allBans(nodes) {
  const lists = await Promise.all(nodes.map((n) => n.rpc.call('listbanned', [], 5_000).catch(() => [])));
  return lists.flat();
}
