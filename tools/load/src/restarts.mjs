// kill -9 and restart of one validator, repeated, under a steady transaction load.
import { allBans, sleep, startNode, stopNode, tips } from './cluster.mjs';
import { drain } from './step.mjs';

/** Upper bound of the deepest reorg a node's tc_consensus_reorg_depth histogram saw (0: none). */
export function maxReorgDepthOf(text) {
  const count = Number(text.match(/^tc_consensus_reorg_depth_count\s+(\S+)/m)?.[1] ?? 0);
  if (count === 0) return 0;
  for (const m of text.matchAll(/^tc_consensus_reorg_depth_bucket\{le="([^"]+)"\}\s+(\S+)/gm)) {
    if (Number(m[2]) >= count) return m[1] === '+Inf' ? Number.POSITIVE_INFINITY : Number(m[1]);
  }
  return Number.POSITIVE_INFINITY;
}

/**
 * Kills `victim` with SIGKILL `kills` times (up a random 1–3 s, down 0.5–1.5 s), while `rate`
 * tx/s go in through every node, the victim included: whatever it answered with a txid must
 * survive its kill (accepted means durable). Then drains and checks the chain. Bounded: every
 * wait has a deadline.
 */
export async function restartLoop({
  cluster,
  kills,
  rate,
  victim,
  log = (_line) => {},
  drainTimeoutMs = 120_000,
}) {
  const { nodes, wallet } = cluster;
  const startHeight = Math.min(...(await tips(nodes)).map((t) => t?.height ?? 0));
  const accepted = new Map();
  let running = true;
  const trickle = (async () => {
    let turn = 0;
    while (running) {
      const txs = wallet.presign(Math.max(1, Math.round(rate / 10)));
      const node = nodes[turn++ % nodes.length];
      try {
        const answers = await node.rpc.batch(
          'sendrawtransaction',
          txs.map((t) => [t.hex]),
          10_000,
        );
        answers.forEach((a, i) => {
          if (a.result !== undefined) accepted.set(txs[i].txid, txs[i]);
          else wallet.give([txs[i].spends]);
        });
      } catch {
        // transport failure (the victim is down, or died mid-answer): the fate of these is
        // unknown; they are neither counted nor reused
      }
      await sleep(100);
    }
  })();
  let done = 0;
  const maxDepths = [];
  // Finality across kills: every finalized block seen anywhere, and the victim's finalized
  // height right before each kill, which it must still report after the restart (fsynced).
  const finals = new Map(); // height → hash
  let finalityRegressions = 0;
  const noteFinal = (info) => {
    if (info?.finalizedHeight > 0) finals.set(info.finalizedHeight, info.finalizedHash);
  };
  for (let k = 0; k < kills; k++) {
    await sleep(1_000 + Math.random() * 2_000);
    // Honest nodes' metrics are read before each kill (the victim's reset when it dies).
    maxDepths.push(maxReorgDepthOf(await nodes[victim].rpc.metrics()));
    const before = await nodes[victim].rpc.call('getblockchaininfo', [], 5_000).catch(() => undefined);
    noteFinal(before);
    await stopNode(nodes[victim], { hard: true });
    log(`kill ${k + 1}/${kills}`);
    await sleep(500 + Math.random() * 1_000);
    await startNode(nodes[victim]);
    const after = await nodes[victim].rpc.call('getblockchaininfo', [], 10_000).catch(() => undefined);
    if (before && after && after.finalizedHeight < before.finalizedHeight) finalityRegressions++;
    done++;
  }
  await sleep(2_000);
  running = false;
  await trickle;
  const drained = await drain(nodes, drainTimeoutMs);
  const texts = await Promise.all(nodes.map((n) => n.rpc.metrics()));
  for (const t of texts) maxDepths.push(maxReorgDepthOf(t));
  const included = new Set();
  const top = drained.tips[0]?.height ?? startHeight;
  for (let h = startHeight + 1; h <= top; h++) {
    const block = await nodes[0].rpc.call('getblock', [h, 1], 10_000);
    for (const id of block.txids) included.add(id);
  }
  let lost = 0;
  for (const [id, t] of accepted) {
    if (included.has(id)) wallet.give(t.creates);
    else lost++;
  }
  const infos = await Promise.all(nodes.map((n) => n.rpc.call('getblockchaininfo', [], 10_000)));
  for (const info of infos) noteFinal(info);
  // A finalized block that some node holds another block at its height instead was reverted (or
  // a conflicting block was final). Production goes on meanwhile: a node not yet at that height
  // (getblockhash answers -8 above its tip) is not a disagreement.
  let finalsReverted = 0;
  for (const [h, hash] of finals) {
    const there = await Promise.all(
      nodes.map((n) => n.rpc.call('getblockhash', [h], 10_000).catch(() => undefined)),
    );
    if (there.some((x) => x !== undefined && x !== hash)) finalsReverted++;
  }
  const evidence = (await Promise.all(nodes.map((n) => n.rpc.call('getevidence', [], 10_000)))).flat();
  return {
    kills: done,
    accepted: accepted.size,
    lost,
    tipsAgree: drained.drained,
    maxReorgDepth: Math.max(0, ...maxDepths),
    bans: await allBans(nodes),
    finalized: infos.map((i) => i.finalizedHeight),
    finalsChecked: finals.size,
    finalsReverted,
    finalityRegressions,
    evidence: evidence.length,
  };
}
