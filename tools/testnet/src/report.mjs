// The testnet report: one markdown section (bench/REPORT.md carries it as its own section).

const f0 = (x) => (Number.isFinite(x) ? x.toFixed(0) : '–');
const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : '–');
const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : '–');
const range = (xs, f = f0) => {
  const v = xs.filter((x) => Number.isFinite(x));
  return v.length === 0 ? '–' : `${f(Math.min(...v))}–${f(Math.max(...v))}`;
};
const mean = (xs) => {
  const v = xs.filter((x) => Number.isFinite(x));
  return v.length === 0 ? Number.NaN : v.reduce((a, b) => a + b, 0) / v.length;
};

export function renderTestnetReport(r) {
  const out = [];
  out.push(
    `${r.nodes} nodes (${r.validators} validators, ${r.nodes - r.validators} full nodes), each in its own network namespace ` +
      `(10.x.y.2/16 on a bridge), ${r.slotMs} ms slots, WAN profile \`${r.profile}\`: ${r.profileText}. ` +
      `Latency, jitter and loss come from one \`@tc/netem\` proxy process per host (this kernel has \`tbf\` but no \`netem\` qdisc); ` +
      `egress bandwidth from \`tbf\`. Every node starts with 1–2 seed addresses and finds the rest by discovery ` +
      `(registry defaults: 8 outbound, 24 inbound).`,
  );
  out.push('');
  out.push(
    `Discovery: every node had ≥ ${r.minPeers} peers ${f1(r.discovery.allMs / 1000)} s after the last node started ` +
      `(p50 per node ${f1(r.discovery.p50Ms / 1000)} s).`,
  );
  if (r.warmUp) {
    const w = r.warmUp;
    out.push(
      '',
      `Warm-up before the scenarios, not measured (V8 compiles a node's hot paths only after thousands of calls): ` +
        `${w.rate} tx/s for ${w.seconds} s, ${w.accepted} accepted, ${w.lost} lost, tips ${w.tipsAgree ? 'agreed' : 'did not agree'}.`,
    );
  }
  out.push('');
  out.push(
    '| scenario | s | propagation p50 / p99 to 50 % | to 90 % | to 100 % (blocks; missed) | finality lag p50 / p99 (blocks) | duplicate block receipts per node per block | tx announcements per tx | bytes/s per node | peers per node | CPU % per node | RSS MiB per node | tips within 3 slots | checks |',
  );
  out.push(
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |',
  );
  for (const s of r.scenarios) {
    const p = s.propagation;
    const up = s.perNode.filter((n) => n.up);
    const checks = Object.entries(s.checks ?? {})
      .map(([k, v]) => `${k} ${v ? 'ok' : 'FAIL'}`)
      .join(', ');
    out.push(
      `| ${s.name} | ${f0(s.seconds)} | ${f0(p[0.5].p50)} / ${f0(p[0.5].p99)} ms | ${f0(p[0.9].p50)} / ${f0(p[0.9].p99)} ms | ` +
        `${f0(p[1].p50)} / ${f0(p[1].p99)} ms (${p[1].blocks}; ${p.missed ?? 0}) | ${f1(s.finalityLag.p50)} / ${f1(s.finalityLag.p99)} | ` +
        `${f2(mean(up.map((n) => n.duplicateBlocksPerBlock)))} (max ${f2(Math.max(...up.map((n) => n.duplicateBlocksPerBlock)))}) | ` +
        `${f2(mean(up.map((n) => n.txAnnouncementsPerTx)))} | ${f0(mean(up.map((n) => n.bytesPerSec)))} | ${range(s.peers)} | ` +
        `${range(up.map((n) => n.cpuPct))} | ${range(up.map((n) => n.rssMiB))} | ${s.tipsAgree ? 'yes' : 'NO'} | ${checks} |`,
    );
  }
  for (const s of r.scenarios.filter((x) => x.name === 'sync')) {
    out.push('');
    out.push(
      `Fresh-node sync: a node that never ran joined over the same WAN links from 1–2 seeds and synced ${s.blocks} blocks ` +
        `(${f1(s.bytes / 2 ** 20)} MiB) in ${f1(s.syncSeconds)} s from its start: **${f0(s.syncBlocksPerSec)} blocks/s, ` +
        `${f2(s.ratio)}× the pool-only validation of the same blocks** (${f0(s.poolBlocksPerSec)} blocks/s, ${s.poolThreads} worker ` +
        `as the nodes have, no signature cache, measured before and after the sync in the same run: ${s.poolRuns.map((x) => f0(x)).join(' / ')}). ` +
        `While blocks flowed (first to last synced block): ${f0(s.flowBlocksPerSec)} blocks/s. ` +
        `Its process took ${f1(s.startSeconds)} s to answer RPC; after that, its first peer came at ${f1(s.firstPeerSeconds)} s, ` +
        `its first sync started at ${f1(s.syncStartedSeconds)} s and ended at ${f1(s.syncFinishedSeconds)} s (its log).` +
        (s.cpu
          ? ` The machine's cores were ${f0(100 * s.cpu.machineBusyBaseline)} % busy during the first baseline run and ` +
            `${f0(100 * s.cpu.machineBusySync)} % during the sync; from its RPC answering to the tip the fresh node got ` +
            `${f2(s.cpu.freshMainSeconds)} s of CPU on its main thread and ${f2(s.cpu.freshOtherThreadsSeconds)} s on its other ` +
            `threads (pool worker, V8 compiler and GC), against ${f2(s.blocks / s.poolBlocksPerSec)} s of wall time for the pool-only run.`
          : ''),
    );
  }
  out.push('');
  out.push(
    "Propagation is measured from the nodes' own records (RPC `getblockarrivals`: when each block connected at each node, on one machine clock): " +
      'from the first node that connected a block (its producer) to the first 50 %, 90 % and 100 % of the nodes that were up around it. ' +
      '"missed" counts blocks some up node never connected (it was reorged away); blocks made during a partition are left out.',
  );
  out.push('');
  out.push('Hop counts from the validators to every node over the peer graph at the end of each scenario:');
  out.push('');
  for (const s of r.scenarios)
    out.push(
      `- ${s.name}: ${Object.entries(s.hops)
        .map(([h, n]) => `${h} hops × ${n}`)
        .join(', ')}`,
    );
  out.push('');
  out.push('Messages sent per node per second (mean of the nodes that were up), by kind, the largest first:');
  out.push('');
  for (const s of r.scenarios) out.push(`- ${s.name}: ${messageMix(s.perNode.filter((n) => n.up))}`);
  out.push('');
  for (const s of r.scenarios) {
    const extra = { ...s };
    for (const k of [
      'name',
      'seconds',
      'propagation',
      'finalityLag',
      'perNode',
      'peers',
      'hops',
      'tipsAgree',
      'heights',
      'finalized',
      'checks',
    ])
      delete extra[k];
    if (Object.keys(extra).length > 0) out.push(`- ${s.name}: \`${JSON.stringify(extra)}\``);
  }
  return out.join('\n');
}

/** "votes 120.3, ping 2.0, …": mean messages out per second by kind, largest first (top 6). */
function messageMix(nodes) {
  const sum = {};
  for (const n of nodes)
    for (const [kind, rate] of Object.entries(n.messagesOutPerSec ?? {})) sum[kind] = (sum[kind] ?? 0) + rate;
  const total = Object.values(sum).reduce((a, b) => a + b, 0);
  const mixed = Object.entries(sum)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([kind, rate]) => `${kind} ${f1(rate / Math.max(1, nodes.length))}`);
  return `${f1(total / Math.max(1, nodes.length))} in all (${mixed.join(', ')})`;
}

export function profileText(p) {
  return `${p.latencyMs[0]}–${p.latencyMs[1]} ms one way per link, jitter ±${p.jitterFraction * 100} %, loss ${p.lossProbability * 100} % (as a 200 ms retransmission), ${p.egressMbit} Mbit/s egress per host`;
}

/** Whether every check of every scenario passed and the tips agreed after each. */
export function allPassed(r) {
  return r.scenarios.every((s) => s.tipsAgree && Object.values(s.checks ?? {}).every(Boolean));
}
