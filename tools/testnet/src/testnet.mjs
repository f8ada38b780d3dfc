// A whole testnet: hosts, WAN links, nodes started by discovery from 1–2 seeds, a funded wallet.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from '@tc/load/src/cluster.mjs';
import { fundWallet } from '@tc/load/src/load.mjs';
import { createHosts } from './hosts.mjs';
import { layoutNodes, P2P_PORT, startTestnetNode, stopTestnetNode } from './nodes.mjs';
import { peerGraph } from './observe.mjs';
import { PROFILES, startWan } from './wan.mjs';

/**
 * Starts `count` nodes (`validators` of them validators) on their own hosts with `profile`
 * WAN links, waits until every node has `minPeers` peers (discovery; bounded by
 * `discoveryTimeoutMs`) and funds a load wallet of `utxos` outputs. `spares` more full nodes are
 * laid out and linked but not started (`tn.spares`: a fresh node for the sync scenario);
 * `extraHosts` are hosts without a node or WAN links (the eclipse attacker). `stop()` stops
 * every process and removes the hosts and the files.
 */
export async function startTestnet({
  count,
  validators,
  slotMs = 1_000,
  profile = 'internet',
  seed = 1,
  tag = 'a',
  extraHosts = 0,
  spares = 0,
  minPeers = 6,
  discoveryTimeoutMs = 180_000,
  utxos = 2_000,
  log = (_line) => {},
}) {
  const wanProfile = PROFILES[profile];
  if (!wanProfile)
    throw new RangeError(`unknown WAN profile ${profile} (${Object.keys(PROFILES).join(', ')})`);
  const dir = mkdtempSync(join(tmpdir(), 'tc-testnet-'));
  chmodSync(dir, 0o755); // the WAN proxies run unprivileged and read their link files here
  const net = createHosts({ tag, count: count + spares + extraHosts });
  const hosts = net.hosts.slice(0, count + spares);
  let wan;
  const nodes = [];
  const laid = [];
  const stop = async () => {
    await Promise.all(laid.map((n) => stopTestnetNode(n, { hard: false }).catch(() => undefined)));
    await wan?.stop().catch(() => undefined);
    net.destroy();
    // TC_TESTNET_KEEP=1 leaves the node directories (logs, stores) for a post-mortem.
    if (process.env.TC_TESTNET_KEEP === '1') log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  };
  try {
    log(`hosts: ${count} namespaces on ${net.bridge} (10.x.y.2/16), WAN profile ${profile}`);
    wan = await startWan({ hosts, p2pPort: P2P_PORT, profile: wanProfile, seed, dir });
    laid.push(...layoutNodes({ hosts, validators, slotMs, dir, seed }));
    nodes.push(...laid.slice(0, count));
    const startedAt = Date.now();
    // Seeds first, so that every node finds someone to ask for addresses.
    for (let at = 0; at < nodes.length; at += 8) {
      await Promise.all(nodes.slice(at, at + 8).map((n) => startTestnetNode(n)));
    }
    log(
      `nodes: ${count} started (${validators} validators) in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`,
    );
    const discovery = await waitDiscovery(
      nodes,
      Math.min(minPeers, count - 1),
      discoveryTimeoutMs,
      startedAt,
    );
    log(
      `discovery: every node has ≥ ${Math.min(minPeers, count - 1)} peers after ${(discovery.allMs / 1000).toFixed(1)} s`,
    );
    const wallet = await fundWallet(
      nodes.filter((n) => n.validator),
      utxos,
      log,
    );
    return {
      nodes,
      spares: laid.slice(count),
      hosts: net.hosts,
      extra: net.hosts.slice(count + spares),
      wan,
      wallet,
      dir,
      discovery,
      slotMs,
      profile,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Waits until every node has `minPeers` peers; each node's time to get there, from `startedAt`. */
async function waitDiscovery(nodes, minPeers, timeoutMs, startedAt) {
  const reached = new Map();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const graph = await peerGraph(nodes);
    graph.forEach((peers, i) => {
      if (peers.length >= minPeers && !reached.has(i)) reached.set(i, Date.now() - startedAt);
    });
    if (reached.size === nodes.length) {
      const times = [...reached.values()].sort((a, b) => a - b);
      return {
        perNodeMs: nodes.map((_, i) => reached.get(i)),
        p50Ms: times[Math.floor(times.length / 2)],
        allMs: times.at(-1),
      };
    }
    await sleep(500);
  }
  const missing = nodes.filter((_, i) => !reached.has(i)).map((n) => n.index);
  throw new Error(
    `discovery: nodes ${missing.join(', ')} have fewer than ${minPeers} peers after ${timeoutMs} ms`,
  );
}
