// The testnet scenarios. Each measures while it runs and ends with its checks.
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sleep } from '@tc/load/src/cluster.mjs';
import { percentile, runStep } from '@tc/load/src/step.mjs';
import { GENESIS_FILE_NAME, genesisHashHex, readGenesisFile } from '@tc/node';
import { freshSync } from './fresh-sync.mjs';
import { P2P_PORT, startTestnetNode, stopTestnetNode } from './nodes.mjs';
import {
  collectArrivals,
  countersBetween,
  hopCounts,
  peerGraph,
  propagation,
  sampleCounters,
  tipsWithin,
  waitTipsWithin,
  watchFinalityLag,
} from './observe.mjs';

const run = promisify(execFile);
const live = (tn) => tn.nodes.filter((n) => !n.down);
/** Waits until every node's tip is within 3 slots of the others' (a scenario's end check). */
const tipsSettled = (tn) => waitTipsWithin(tn.nodes, 3, 3 * tn.slotMs + 60_000);

/** Measures `body` (load, churn, a partition…): propagation, counters, lags, graph, end tips. */
async function measured(tn, name, body) {
  const before = await sampleCounters(tn.nodes);
  const watch = watchFinalityLag(tn.nodes, { everyMs: Math.max(500, tn.slotMs) });
  const startedAt = Date.now();
  // Periods (a partition) whose blocks cannot reach every node by design.
  const exclusions = [];
  let detail;
  try {
    detail = await body({ exclusions });
  } finally {
    await watch.stop();
  }
  const bodyEndedAt = Date.now();
  const after = await sampleCounters(tn.nodes);
  const end = await tipsSettled(tn);
  const arrivals = await collectArrivals(tn.nodes);
  const graph = await peerGraph(tn.nodes);
  const validators = tn.nodes.filter((n) => n.validator).map((n) => n.index);
  return {
    name,
    seconds: (Date.now() - startedAt) / 1000,
    propagation: propagation(arrivals, tn.nodes, {
      fromMs: startedAt,
      toMs: bodyEndedAt - 5_000,
      exclusions,
    }),
    finalityLag: { p50: percentile(watch.lags, 50), p99: percentile(watch.lags, 99) },
    perNode: countersBetween(before, after),
    peers: graph.map((p) => p.length),
    hops: hopCounts(graph, validators),
    tipsAgree: end.agree,
    heights: end.heights,
    finalized: end.finalized,
    ...detail,
  };
}

/** Steady load through every node. Checks: nothing accepted is lost, tips agree within 3 slots. */
export function steady(tn, { rate, seconds }) {
  return measured(tn, 'steady', async () => {
    const step = await runStep({ nodes: live(tn), wallet: tn.wallet, rate, seconds, slotMs: tn.slotMs });
    return { load: loadSummary(step), checks: { lost: step.lost === 0 } };
  });
}

/**
 * Warm-up, not measured: `rate` tx/s for `seconds`, then until the tips agree. A node's hot
 * paths are compiled by V8 only after thousands of calls, and 32 nodes sharing 2 cores get
 * there slowly: profiled 1–3 min after start, TurboFan compilation was 19 % of the nodes' CPU
 * (2 % in a node that had run 3 min), so an unwarmed steady scenario measured start-up, not
 * the network a long-running deployment has.
 */
export async function warmUp(tn, { rate, seconds }) {
  const step = await runStep({ nodes: live(tn), wallet: tn.wallet, rate, seconds, slotMs: tn.slotMs });
  const end = await tipsSettled(tn);
  return { rate, seconds, accepted: step.accepted, lost: step.lost, tipsAgree: end.agree };
}

/** A fresh node syncs the chain from the network (fresh-sync.mjs), measured like the others. */
export function sync(tn, { poolThreads }) {
  return measured(tn, 'sync', () => freshSync(tn, { poolThreads }));
}

/**
 * Churn: a quarter of the full nodes at a time leave (a clean stop) and join again 5–10 s
 * later, for `seconds`, under load. Checks: tips agree within 3 slots afterwards, finality
 * advanced through the churn, nothing lost.
 */
export function churn(tn, { rate, seconds }) {
  return measured(tn, 'churn', async () => {
    const fulls = tn.nodes.filter((n) => !n.validator);
    const batch = Math.max(1, Math.floor(fulls.length / 4));
    const finalBefore = Math.min(...(await tipsWithin(tn.nodes, 1_000)).finalized.filter((x) => x !== null));
    const load = runStep({
      nodes: tn.nodes.filter((n) => n.validator),
      wallet: tn.wallet,
      rate,
      seconds,
      slotMs: tn.slotMs,
    });
    const endAt = Date.now() + seconds * 1_000;
    let round = 0;
    let cycles = 0;
    while (Date.now() < endAt - 5_000) {
      const leaving = fulls.slice((round * batch) % fulls.length).slice(0, batch);
      round++;
      const downAt = Date.now();
      for (const n of leaving) n.down = true;
      await Promise.all(leaving.map((n) => stopTestnetNode(n)));
      await sleep(5_000 + Math.random() * 5_000);
      await Promise.all(leaving.map((n) => startTestnetNode(n)));
      for (const n of leaving) {
        n.down = false;
        // Back, but catching up: its first seconds measure sync, not propagation.
        n.outages = [...(n.outages ?? []), [downAt, Date.now() + 5_000]];
      }
      cycles += leaving.length;
    }
    const step = await load;
    const finalAfter = Math.min(...(await tipsWithin(tn.nodes, 1_000)).finalized.filter((x) => x !== null));
    return {
      load: loadSummary(step),
      churned: cycles,
      finalizedBefore: finalBefore,
      finalizedAfter: finalAfter,
      checks: { lost: step.lost === 0, finalityContinued: finalAfter > finalBefore },
    };
  });
}

/**
 * A partition into two halves (every other node, so both halves hold half of the validators),
 * held for `seconds`, then healed. Checks: after the heal the tips agree within 3 slots, and
 * no block that was final before or during the split was reverted on any node.
 */
export function partition(tn, { seconds }) {
  return measured(tn, 'partition', async ({ exclusions }) => {
    const a = tn.nodes.filter((n) => n.index % 2 === 0);
    const b = tn.nodes.filter((n) => n.index % 2 === 1);
    const finals = await finalsOf(tn.nodes);
    const cutAt = Date.now();
    tn.wan.cut(
      a.map((n) => n.host),
      b.map((n) => n.host),
    );
    await sleep(seconds * 1_000);
    finals.push(...(await finalsOf(tn.nodes)));
    tn.wan.restore(
      a.map((n) => n.host),
      b.map((n) => n.host),
    );
    const healed = await waitTipsWithin(tn.nodes, 3, 120_000);
    exclusions.push([cutAt, Date.now()]);
    let reverted = 0;
    for (const f of finals) {
      const there = await Promise.all(
        tn.nodes.map((n) => n.rpc.call('getblockhash', [f.height], 5_000).catch(() => undefined)),
      );
      if (there.some((h) => h !== undefined && h !== f.hash)) reverted++;
    }
    return {
      splitSeconds: seconds,
      finalsChecked: finals.length,
      checks: { healed: healed.agree, noFinalReverted: reverted === 0 },
    };
  });
}

async function finalsOf(nodes) {
  const infos = await Promise.all(
    nodes.map((n) => n.rpc.call('getblockchaininfo', [], 5_000).catch(() => undefined)),
  );
  return infos
    .filter((i) => i && i.finalizedHeight > 0)
    .map((i) => ({ height: i.finalizedHeight, hash: i.finalizedHash }));
}

/**
 * An eclipse attempt: `identities` identities from one extra host keep dialling one full node
 * for `seconds`. Checks: the victim keeps honest peers (its outbound slots are its own), follows
 * the chain (tips within 3 slots), and bans no honest node.
 */
export function eclipse(tn, { identities, seconds }) {
  return measured(tn, 'eclipse', async () => {
    const victim = tn.nodes.find((n) => !n.validator) ?? tn.nodes.at(-1);
    const attacker = tn.extra[0];
    if (!attacker) throw new Error('eclipse: the testnet was started without an extra (attacker) host');
    const genesis = readGenesisFile(join(victim.datadir, GENESIS_FILE_NAME));
    const script = join(dirname(fileURLToPath(import.meta.url)), 'eclipse.mjs');
    const attack = run(
      'ip',
      [
        'netns',
        'exec',
        attacker.ns,
        process.execPath,
        script,
        '--target',
        `${victim.host.addr}:${P2P_PORT}`,
        '--network',
        genesis.networkId,
        '--genesis',
        genesisHashHex(genesis),
        '--identities',
        String(identities),
        '--seconds',
        String(seconds),
      ],
      { timeout: (seconds + 60) * 1_000 },
    );
    let minHonest = Number.POSITIVE_INFINITY;
    const endAt = Date.now() + seconds * 1_000;
    while (Date.now() < endAt) {
      const peers = await victim.rpc.call('getpeerinfo', [], 5_000).catch(() => []);
      const honest = peers.filter((p) => !String(p.address).startsWith(`${attacker.addr}:`)).length;
      minHonest = Math.min(minHonest, honest);
      await sleep(1_000);
    }
    const { stdout } = await attack;
    const result = JSON.parse(stdout.trim().split('\n').at(-1));
    const bans = await victim.rpc.call('listbanned', [], 5_000).catch(() => []);
    const honestBanned = bans.filter((b) =>
      tn.nodes.some((n) => String(b.target).includes(n.host.addr)),
    ).length;
    return {
      victim: victim.index,
      attack: result,
      victimMinHonestPeers: minHonest,
      checks: { keptHonestPeers: minHonest >= 4, noHonestBan: honestBanned === 0 },
    };
  });
}

function loadSummary(step) {
  return {
    rate: step.rate,
    offered: step.offered,
    accepted: step.accepted,
    included: step.included,
    lost: step.lost,
    submitToBlockP99Ms: step.latencyP99Ms,
    submitToFinalP99Ms: step.finalLatencyP99Ms,
  };
}
