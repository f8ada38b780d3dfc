// The testnet's nodes: datadirs laid out with @tc/node's public API, each node started with
// `tc-node start` inside its host's namespace, P2P and RPC on the host's own address.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startNode, stopNode } from '@tc/load/src/cluster.mjs';
import { RpcBatchClient } from '@tc/load/src/rpc.mjs';
import { CONFIG_FILE_NAME, createDevnetGenesis, generateNodeKey, initDatadir } from '@tc/node';

export const P2P_PORT = 7700;
export const RPC_PORT = 7800;
/** Validation pool threads per node: 32 nodes share 2 cores. */
export const POOL_THREADS = 1;

/**
 * Lays out one node per host: the first `validators` are the genesis validators (each with
 * genesis outputs the load wallet is funded from), the rest full nodes. Every node gets 1–2
 * seed addresses (earlier hosts, picked by `seed`) and finds the rest by discovery, under the
 * registry's default in/out limits. RPC listens on the host's address with a bearer token.
 */
export function layoutNodes({ hosts, validators, slotMs, dir, seed = 1, outputsPerValidator = 64 }) {
  const keys = hosts.map(() => generateNodeKey());
  const genesis = createDevnetGenesis({
    networkId: 'tc-testnet',
    validators: keys.slice(0, validators).map((k) => Buffer.from(k.publicKey).toString('hex')),
    slotMs,
    outputsPerValidator,
    allocationPerValidator: 1_000_000_000_000n,
  });
  const token = randomBytes(24).toString('hex');
  let state = seed >>> 0;
  const random = () => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    return state / 4_294_967_296;
  };
  return hosts.map((host, i) => {
    const datadir = join(dir, `node-${i}`);
    const others = hosts.slice(0, i);
    const seeds = [];
    const wanted = i === 0 ? 0 : Math.min(others.length, 1 + Math.floor(random() * 2));
    while (seeds.length < wanted) {
      const pick = others[Math.floor(random() * others.length)];
      if (!seeds.includes(pick)) seeds.push(pick);
    }
    initDatadir({
      network: 'devnet',
      datadir,
      key: keys[i],
      genesis,
      p2pHost: host.addr,
      p2pPort: P2P_PORT,
      rpcPort: RPC_PORT,
      peers: seeds.map((s) => `${s.addr}:${P2P_PORT}`),
    });
    const configFile = join(datadir, CONFIG_FILE_NAME);
    const cfg = JSON.parse(readFileSync(configFile, 'utf8'));
    const merged = {
      ...cfg,
      p2p: { ...cfg.p2p, discovery: true },
      rpc: { ...cfg.rpc, host: host.addr, authToken: token },
      pool: { size: POOL_THREADS },
      log: { level: process.env.TC_TESTNET_LOG_LEVEL ?? 'info', format: 'json' },
      consensus: { ...cfg.consensus, mempoolMaxTxs: 50_000 },
    };
    writeFileSync(configFile, `${JSON.stringify(merged, null, 2)}\n`, { mode: 0o600 });
    return {
      index: i,
      host,
      datadir,
      configFile,
      key: keys[i],
      validator: i < validators,
      networkId: genesis.networkId,
      p2p: `${host.addr}:${P2P_PORT}`,
      seeds: seeds.map((s) => s.index),
      rpc: new RpcBatchClient(`http://${host.addr}:${RPC_PORT}/`, token),
      child: undefined,
    };
  });
}

/** Starts a node in its namespace (log: <datadir>/node.log); resolves once its RPC answers. */
export function startTestnetNode(node, { timeoutMs = 90_000 } = {}) {
  return startNode(node, { timeoutMs, prefix: ['ip', 'netns', 'exec', node.host.ns] });
}

export const stopTestnetNode = stopNode;
