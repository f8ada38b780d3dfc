// A cluster of real `tc-node start` processes on 127.0.0.1, laid out through @tc/node's public API.
import { spawn } from 'node:child_process';
import { openSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG_FILE_NAME, GENESIS_FILE_NAME, layoutDevnet, readGenesisFile } from '@tc/node';
import { RpcBatchClient } from './rpc.mjs';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The `tc-node` executable built beside @tc/node's entry (dist/cli.js). */
export function tcNodeCli() {
  return join(dirname(fileURLToPath(import.meta.resolve('@tc/node'))), 'cli.js');
}

/**
 * Lays out `count` validator nodes in `dir` (recreated) with the devnet's own layout
 * (@tc/node `layoutDevnet`: keys, one genesis with every node a validator, full-mesh peers, one
 * validation worker each), with `outputsPerValidator` genesis outputs per validator and a larger
 * mempool.
 */
export async function layoutCluster({
  dir,
  count,
  slotMs,
  outputsPerValidator = 256,
  mempoolMaxTxs = 50_000,
}) {
  rmSync(dir, { recursive: true, force: true });
  const nodes = await layoutDevnet({
    dir,
    count,
    slotMs,
    rpcTimeoutMs: 10_000,
    genesis: { outputsPerValidator, allocationPerValidator: 1_000_000_000_000n },
    config: { consensus: { mempoolMaxTxs }, log: { level: 'info', format: 'json' } },
  });
  const { networkId } = readGenesisFile(join(nodes[0].datadir, GENESIS_FILE_NAME));
  return nodes.map((n) => ({
    index: n.index,
    datadir: n.datadir,
    configFile: join(n.datadir, CONFIG_FILE_NAME),
    key: n.key,
    networkId,
    p2p: n.p2pAddr,
    rpc: new RpcBatchClient(`http://${n.rpcAddr}/`),
    child: undefined,
  }));
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

/**
 * Starts a node's process (its log goes to <datadir>/node.log); resolves once its RPC answers.
 * `prefix`: a command that runs it (e.g. `ip netns exec NS`, which execs the node in place).
 */
export async function startNode(node, { cli = tcNodeCli(), timeoutMs = 60_000, prefix = [] } = {}) {
  const log = openSync(join(node.datadir, 'node.log'), 'a');
  // TC_LOAD_NODE_ARGS: extra Node.js flags for the node processes (e.g. --cpu-prof for a profile),
  // for every node or, with TC_LOAD_NODE_ARGS_FOR=3,17, for those node indices only (profiling
  // every node of a loaded machine slows them all).
  const only = (process.env.TC_LOAD_NODE_ARGS_FOR ?? '').split(',').filter(Boolean).map(Number);
  const extra =
    only.length === 0 || only.includes(node.index)
      ? (process.env.TC_LOAD_NODE_ARGS ?? '').split(' ').filter(Boolean)
      : [];
  const argv = [...prefix, process.execPath, ...extra, cli, 'start', '--config', node.configFile];
  node.child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', log, log] });
  node.exited = new Promise((resolve) =>
    node.child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (node.child.exitCode !== null) {
      throw new Error(`node ${node.index} exited (${node.child.exitCode}); see ${node.datadir}/node.log`);
    }
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
