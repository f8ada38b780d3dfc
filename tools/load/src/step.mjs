// One load step: pre-signed transactions at a fixed rate through every node, then the outcome.

import { sleep, tips } from './cluster.mjs';
import { watchFinality } from './finality-watch.mjs';
import { metricSum, metricValue } from './rpc.mjs';

/** Nearest-rank percentile (p in 0..100); NaN for none. */
export function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length))) - 1];
}

async function snapshot(nodes) {
  return Promise.all(
    nodes.map(async (n) => {
      const text = await n.rpc.metrics();
      return {
        at: performance.now(),
        cpu:
          metricValue(text, 'tc_node_process_cpu_user_seconds_total') +
          metricValue(text, 'tc_node_process_cpu_system_seconds_total'),
        rss: metricValue(text, 'tc_node_process_resident_memory_bytes'),
        lagP99: metricValue(text, 'tc_node_event_loop_lag_seconds', 'stat="p99"'),
        rateLimited: metricSum(text, 'tc_registry_rate_limited_total'),
        bans: metricSum(text, 'tc_registry_bans_total'),
        penalties:
          metricSum(text, 'tc_registry_peer_actions_total', 'action="ban"') +
          metricSum(text, 'tc_registry_peer_actions_total', 'action="disconnect"') +
          metricSum(text, 'tc_registry_peer_actions_total', 'action="score"'),
      };
    }),
  );
}

/** Waits until every mempool is empty and the tips agree, or `timeoutMs` passes. */
export async function drain(nodes, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last = { mempools: [], tips: [] };
  while (Date.now() < deadline) {
    const mempools = await Promise.all(
      nodes.map((n) =>
        n.rpc.call('getmempoolinfo', [], 5_000).then(
          (m) => m.size,
          () => -1,
        ),
      ),
    );
    const t = await tips(nodes);
    last = { mempools, tips: t };
    const agree = t.every((x) => x !== null && x.hash === t[0]?.hash);
    if (mempools.every((m) => m === 0) && agree) return { drained: true, ...last };
    await sleep(250);
  }
  return { drained: false, ...last };
}

/**
 * Submits `rate` tx/s for `seconds` (or as many as the wallet has outputs for), spread over
 * the nodes in JSON-RPC batches of `batchSize` sendrawtransaction calls, at most
 * `maxInflightPerNode` batches outstanding per node; then drains and reads the chain.
 */
export async function runStep({
  nodes,
  wallet,
  rate,
  seconds,
  batchSize = 100,
  maxInflightPerNode = 4,
  drainTimeoutMs = 60_000,
  slotMs = 1_000,
}) {
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  const txs = wallet.presign(Math.floor(rate * seconds));
  const presignMs = performance.now() - wall0;
  const startTips = await tips(nodes);
  const startHeight = Math.min(...startTips.map((t) => t?.height ?? 0));
  const before = await snapshot(nodes);
  // An eighth of a slot resolves finality well enough; polling every 25 ms cost node 0 forty
  // RPC calls a second, on a machine its peers share.
  const finality = watchFinality(nodes[0], Math.max(25, Math.round(slotMs / 8)));
  const accepted = new Map(); // txid → { at, tx }
  const rejected = new Map(); // code → count
  const refused = []; // transactions not accepted: their inputs are still unspent
  const inflight = nodes.map(() => 0);
  let submitted = 0;
  let clientBound = 0;
  const started = performance.now();
  let lastSentAt = started;
  const pending = [];
  let rr = 0;
  while (submitted < txs.length) {
    const due = Math.min(txs.length, Math.floor(((performance.now() - started) / 1000) * rate));
    while (submitted < due) {
      const node = rr++ % nodes.length;
      if (inflight[node] >= maxInflightPerNode) {
        // Every node has a full pipe: the client (or the nodes) cannot keep up this tick.
        if (inflight.every((f) => f >= maxInflightPerNode)) {
          clientBound++;
          break;
        }
        continue;
      }
      const batch = txs.slice(submitted, Math.min(due, submitted + batchSize));
      submitted += batch.length;
      lastSentAt = performance.now();
      inflight[node]++;
      const at = performance.now();
      pending.push(
        nodes[node].rpc
          .batch(
            'sendrawtransaction',
            batch.map((t) => [t.hex]),
          )
          .then(
            (answers) => {
              answers.forEach((a, i) => {
                if (a.result !== undefined) accepted.set(batch[i].txid, { at, tx: batch[i] });
                else {
                  const code = String(a.error?.data?.code ?? a.error?.code ?? 'unknown');
                  rejected.set(code, (rejected.get(code) ?? 0) + 1);
                  refused.push(batch[i]);
                }
              });
            },
            () => {
              rejected.set('transport', (rejected.get('transport') ?? 0) + batch.length);
              refused.push(...batch); // unknown fate: the drain decides (see below)
            },
          )
          .finally(() => inflight[node]--),
      );
    }
    await sleep(10);
  }
  await Promise.all(pending);
  // The submission window: until the last batch went out (the nodes' back-pressure stretches it).
  const offeredSeconds = Math.max(txs.length / rate, (lastSentAt - started) / 1000);
  const clientCpu = process.cpuUsage(cpu0);
  const clientWall = (performance.now() - wall0) / 1000;
  const after = await snapshot(nodes);
  const drained = await drain(nodes, drainTimeoutMs);
  const endTips = drained.tips;
  const tipsAgree = endTips.every((t) => t !== null && t.hash === endTips[0]?.hash);
  // Read the agreed chain (node 0's when they disagree) from the step's start.
  const included = new Map(); // txid → { height, timestampMs }
  const blockTimes = new Map(); // height → timestampMs
  const top = endTips[0]?.height ?? startHeight;
  for (let h = startHeight + 1; h <= top; h++) {
    const block = await nodes[0].rpc.call('getblock', [h, 1], 10_000);
    blockTimes.set(h, block.timestampMs);
    for (const id of block.txids) included.set(id, { height: h, timestampMs: block.timestampMs });
  }
  // Finality of the step's blocks: wait (bounded) until the last one is final on node 0.
  const finalDeadline = Date.now() + Math.max(10_000, 10 * slotMs);
  while (finality.finalized < top && Date.now() < finalDeadline) await sleep(50);
  await finality.stop();
  const latencies = [];
  const finalLatencies = [];
  let lost = 0;
  let notFinal = 0;
  const epochOffset = Date.now() - performance.now();
  for (const [id, a] of accepted) {
    const inc = included.get(id);
    if (inc === undefined) {
      lost++;
      continue;
    }
    const sentAt = a.at + epochOffset;
    latencies.push(Math.max(0, inc.timestampMs - sentAt));
    const finalAt = finality.finalAt.get(inc.height);
    if (finalAt === undefined) notFinal++;
    else finalLatencies.push(Math.max(0, finalAt - sentAt));
  }
  // Finality lag: from a block's timestamp to when it was seen final, in slots.
  const lagSlots = [];
  for (const [h, ts] of blockTimes) {
    const at = finality.finalAt.get(h);
    if (at !== undefined) lagSlots.push(Math.max(0, at - ts) / slotMs);
  }
  // The wallet keeps what is certain: outputs of included transactions, and the inputs of
  // transactions refused (or lost in transport) that did not make it into the chain.
  wallet.give(
    [...accepted.keys()].filter((id) => included.has(id)).flatMap((id) => accepted.get(id).tx.creates),
  );
  for (const t of refused) wallet.give(included.has(t.txid) ? t.creates : [t.spends]);
  const perNode = nodes.map((_, i) => {
    const dt = (after[i].at - before[i].at) / 1000;
    return {
      cpuPct: dt > 0 ? (100 * (after[i].cpu - before[i].cpu)) / dt : Number.NaN,
      rssMiB: after[i].rss / 2 ** 20,
      lagP99Ms: after[i].lagP99 * 1000,
      rateLimited: after[i].rateLimited - before[i].rateLimited,
      penalties: after[i].penalties - before[i].penalties,
      bans: after[i].bans - before[i].bans,
    };
  });
  return {
    rate,
    offered: txs.length,
    offeredSeconds,
    accepted: accepted.size,
    rejected: Object.fromEntries(rejected),
    included: [...accepted.keys()].filter((id) => included.has(id)).length,
    includedPerSec: [...accepted.keys()].filter((id) => included.has(id)).length / offeredSeconds,
    lost,
    latencyP50Ms: percentile(latencies, 50),
    latencyP99Ms: percentile(latencies, 99),
    finalLatencyP50Ms: percentile(finalLatencies, 50),
    finalLatencyP99Ms: percentile(finalLatencies, 99),
    finalityLagP50Slots: percentile(lagSlots, 50),
    finalityLagP99Slots: percentile(lagSlots, 99),
    notFinal,
    drained: drained.drained,
    tipsAgree,
    height: top,
    clientCpuPct: (100 * (clientCpu.user + clientCpu.system)) / 1e6 / clientWall,
    clientBoundTicks: clientBound,
    presignMs,
    nodes: perNode,
  };
}
