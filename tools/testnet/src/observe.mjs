// What the harness measures on a running testnet: when each node connected each block (block
// propagation), finality lag, the peer graph (peers per node, hops), and per-node counters.
import { sleep } from '@tc/load/src/cluster.mjs';
import { metricSum, metricSumBy, metricValue } from '@tc/load/src/rpc.mjs';
import { percentile } from '@tc/load/src/step.mjs';

/**
 * Samples every node's finality lag (tip height − finalized height) every `everyMs` until
 * stopped. Bounded: one round in flight, at most `maxSamples` samples kept.
 */
export function watchFinalityLag(nodes, { everyMs = 500, maxSamples = 100_000 } = {}) {
  const lags = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const at = Date.now();
      await Promise.all(
        nodes.map(async (n) => {
          if (n.down) return;
          try {
            const info = await n.rpc.call('getblockchaininfo', [], 2_000);
            if (lags.length < maxSamples) lags.push(info.height - info.finalizedHeight);
          } catch {
            // busy or down: the next round samples it
          }
        }),
      );
      await sleep(Math.max(0, everyMs - (Date.now() - at)));
    }
  })();
  return {
    lags,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

/** Every live node's block arrivals (RPC getblockarrivals: when each block connected there). */
export function collectArrivals(nodes) {
  return Promise.all(
    nodes.map((n) => (n.down ? [] : n.rpc.call('getblockarrivals', [512], 10_000).catch(() => []))),
  );
}

/**
 * Block propagation from the nodes' own records: for each block made in [`fromMs`, `toMs`], the
 * delay from the first node that connected it (its producer) to the first 50 %, 90 % and 100 %
 * of the nodes that were up around it, p50/p99 in ms. Each node stamps the time it connected
 * the block (validated and committed) on one machine clock, so nothing here depends on polling.
 * A node is counted for a block unless it was down (`n.outages`, [from, to] ms) from 10 s
 * before the block to 5 s after it; blocks inside `exclusions` (a partition) are left out.
 * `missed` counts blocks some counted node never connected (it went another way, or a reorg).
 */
export function propagation(lists, nodes, { fromMs, toMs, exclusions = [] }) {
  const byHash = new Map(); // hash → { t: blockTimeMs, at: Map(node → connectedAtMs) }
  lists.forEach((list, index) => {
    for (const a of list) {
      if (a.blockTimeMs < fromMs || a.blockTimeMs > toMs) continue;
      let entry = byHash.get(a.hash);
      if (!entry) {
        entry = { t: a.blockTimeMs, at: new Map() };
        byHash.set(a.hash, entry);
      }
      entry.at.set(index, a.connectedAtMs);
    }
  });
  const overlaps = (spans, from, to) => spans.some(([a, b]) => a <= to && b >= from);
  const delays = { 0.5: [], 0.9: [], 1: [] };
  let missed = 0;
  let excluded = 0;
  for (const { t, at } of byHash.values()) {
    if (overlaps(exclusions, t - 10_000, t + 5_000)) {
      excluded++;
      continue;
    }
    const counted = nodes.filter((n) => !n.down && !overlaps(n.outages ?? [], t - 10_000, t + 5_000));
    const times = counted.map((n) => at.get(n.index)).filter((x) => x !== undefined);
    if (times.length < counted.length) missed++;
    times.sort((a, b) => a - b);
    for (const fraction of [0.5, 0.9, 1]) {
      const need = Math.max(1, Math.ceil(fraction * counted.length));
      if (times.length >= need) delays[fraction].push(times[need - 1] - times[0]);
    }
  }
  const out = { missed, excluded };
  for (const fraction of [0.5, 0.9, 1]) {
    const d = delays[fraction];
    out[fraction] = { blocks: d.length, p50: percentile(d, 50), p99: percentile(d, 99) };
  }
  return out;
}

/** Every node's peers as node indices (by address), from getpeerinfo. */
export async function peerGraph(nodes) {
  const byAddr = new Map(nodes.map((n) => [n.host.addr, n.index]));
  return Promise.all(
    nodes.map(async (n) => {
      if (n.down) return [];
      try {
        const peers = await n.rpc.call('getpeerinfo', [], 5_000);
        return [
          ...new Set(
            peers.map((p) => byAddr.get(String(p.address).split(':')[0])).filter((i) => i !== undefined),
          ),
        ];
      } catch {
        return [];
      }
    }),
  );
}

/** Hop counts (breadth-first, over the peer graph) from each of `sources` to every other node. */
export function hopCounts(graph, sources) {
  const counts = new Map();
  for (const s of sources) {
    const dist = new Map([[s, 0]]);
    const queue = [s];
    while (queue.length > 0) {
      const at = queue.shift();
      for (const next of graph[at] ?? []) {
        if (dist.has(next)) continue;
        dist.set(next, dist.get(at) + 1);
        queue.push(next);
      }
    }
    for (let i = 0; i < graph.length; i++) {
      if (i === s) continue;
      const d = dist.get(i) ?? 'unreachable';
      counts.set(d, (counts.get(d) ?? 0) + 1);
    }
  }
  return Object.fromEntries(
    [...counts].sort((a, b) => String(a[0]).localeCompare(String(b[0]), 'en', { numeric: true })),
  );
}

/** Per-node counters from /metrics (sampled at a scenario's start and end). */
export async function sampleCounters(nodes) {
  return Promise.all(
    nodes.map(async (n) => {
      const text = n.down ? '' : await n.rpc.metrics();
      return {
        at: Date.now(),
        up: text !== '',
        bytesIn: metricSum(text, 'tc_registry_bytes_total', 'direction="in"'),
        bytesOut: metricSum(text, 'tc_registry_bytes_total', 'direction="out"'),
        blocksConnected: metricSum(text, 'tc_consensus_blocks_connected_total'),
        announcedDuplicate: metricSum(text, 'tc_consensus_announced_blocks_total', 'outcome="duplicate"'),
        announcedTotal: metricSum(text, 'tc_consensus_announced_blocks_total'),
        txAnnouncedKnown: metricSum(text, 'tc_consensus_gossip_txs_total', 'result="seen"'),
        txAdmitted: metricSum(text, 'tc_consensus_gossip_txs_total', 'result="admitted"'),
        cpu:
          metricValue(text, 'tc_node_process_cpu_user_seconds_total') +
          metricValue(text, 'tc_node_process_cpu_system_seconds_total'),
        rss: metricValue(text, 'tc_node_process_resident_memory_bytes'),
        bans: metricSum(text, 'tc_registry_bans_total'),
        messagesOut: metricSumBy(text, 'tc_registry_messages_total', 'kind', 'direction="out"'),
        messagesIn: metricSumBy(text, 'tc_registry_messages_total', 'kind', 'direction="in"'),
      };
    }),
  );
}

/** Messages per second between two by-kind samples. */
function ratesByKind(after, before, dt) {
  const out = {};
  for (const [kind, n] of Object.entries(after ?? {})) out[kind] = (n - (before?.[kind] ?? 0)) / dt;
  return out;
}

/** The per-node figures between two samples: bytes/s, duplicate block receipts per block, CPU %, RSS. */
export function countersBetween(before, after) {
  return after.map((a, i) => {
    const b = before[i];
    // A node restarted meanwhile (churn) started its counters again: its deltas mean nothing.
    const reset = a.cpu < b.cpu || a.bytesIn < b.bytesIn || a.blocksConnected < b.blocksConnected;
    const dt = Math.max(0.001, (a.at - b.at) / 1000);
    const blocks = Math.max(1, a.blocksConnected - b.blocksConnected);
    return {
      up: a.up && b.up && !reset,
      bytesPerSec: (a.bytesIn - b.bytesIn + a.bytesOut - b.bytesOut) / dt,
      duplicateBlocksPerBlock: (a.announcedDuplicate - b.announcedDuplicate) / blocks,
      txAnnouncementsPerTx:
        (a.txAnnouncedKnown - b.txAnnouncedKnown + a.txAdmitted - b.txAdmitted) /
        Math.max(1, a.txAdmitted - b.txAdmitted),
      cpuPct: (100 * (a.cpu - b.cpu)) / dt,
      rssMiB: a.rss / 2 ** 20,
      bans: a.bans - b.bans,
      messagesOutPerSec: ratesByKind(a.messagesOut, b.messagesOut, dt),
      messagesInPerSec: ratesByKind(a.messagesIn, b.messagesIn, dt),
    };
  });
}

/** Every node's tip; `agree` when all live nodes are within `slack` blocks of the highest, on one chain. */
export async function tipsWithin(nodes, slack) {
  const infos = await Promise.all(
    nodes.map((n) =>
      n.down ? undefined : n.rpc.call('getblockchaininfo', [], 5_000).catch(() => undefined),
    ),
  );
  const live = infos.filter(Boolean);
  if (live.length === 0) return { agree: false, heights: [] };
  const low = Math.min(...live.map((i) => i.height));
  // One chain: every live node has the same block at the lowest live height.
  const hashes = await Promise.all(
    nodes.map((n, i) =>
      infos[i] ? n.rpc.call('getblockhash', [low], 5_000).catch(() => undefined) : undefined,
    ),
  );
  const at = hashes.filter(Boolean);
  const high = Math.max(...live.map((i) => i.height));
  return {
    agree: at.length === live.length && at.every((h) => h === at[0]) && high - low <= slack,
    heights: infos.map((i) => i?.height ?? null),
    finalized: infos.map((i) => i?.finalizedHeight ?? null),
  };
}

/** Waits (bounded) until the tips agree within `slack` blocks. */
export async function waitTipsWithin(nodes, slack, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last = await tipsWithin(nodes, slack);
  while (!last.agree && Date.now() < deadline) {
    await sleep(500);
    last = await tipsWithin(nodes, slack);
  }
  return last;
}
