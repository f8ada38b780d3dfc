// Assembly of bench/REPORT.md from the captured package outputs and the node-level results.
import { parseBlocks, renderTable } from './parse.mjs';

export const fmt = (n, digits = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : 'n/a';

export const ratio = (a, b) =>
  Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? `${fmt(a / b, 2)}×` : 'n/a';

const MiB = 1024 * 1024;

/** One package's section: its tables as tables, other text verbatim, or the raw output. */
export function packageSection(pkg) {
  const lines = [`## ${pkg.name}`, ''];
  lines.push(`\`${pkg.command}\` — exit ${pkg.code ?? pkg.signal}, ${fmt(pkg.seconds, 1)} s`, '');
  const blocks = parseBlocks(pkg.output);
  const tables = blocks.filter((b) => b.type === 'table');
  if (tables.length === 0) {
    lines.push(
      '_This benchmark prints no markdown table; its output is included verbatim. Ratios are the ' +
        "package's own, each against the baseline it measures in the same run._",
      '',
      '```text',
      ...(pkg.output.trim() ? [cleanFence(pkg.output)] : ['(no output)']),
      '```',
      '',
    );
    return lines.join('\n');
  }
  for (const b of blocks) {
    if (b.type === 'table') {
      if (b.title) lines.push(`**${b.title}**`, '');
      lines.push(renderTable(b), '');
    } else {
      lines.push('```text', cleanFence(b.lines.join('\n')), '```', '');
    }
  }
  return lines.join('\n');
}

function cleanFence(text) {
  return parseBlocks(text)
    .map((b) => (b.type === 'text' ? b.lines.join('\n') : renderTable(b)))
    .join('\n')
    .replace(/```/g, "'''");
}

/** Highest step that kept up (see judgeStep) and whose tips agreed. */
export function bestStep(steps) {
  let best;
  for (const s of steps) {
    if (s.keptUp && s.summary.tipsAgree && (!best || s.rate > best.rate)) best = s;
  }
  return best;
}

/**
 * Marks a devnet step: included tx/s, whether it kept up with the offered rate (≥ keepUp ×
 * offered in the agreed chain's blocks), and the verdict with its reason. "client-bound" means
 * the generator itself could not submit the offered rate (accepted < keepUp × offered) while
 * what it did submit was included: the node was not the limit.
 */
export function judgeStep(step, keepUp = 0.9) {
  const m = step.summary;
  const included = m.inBlocks / step.durationS;
  const acceptedTps = m.accepted / step.durationS;
  const keptUp = Number.isFinite(included) && included >= keepUp * step.rate;
  let verdict = 'pass';
  if (!m.found) verdict = 'fail: no devnet summary';
  else if (!m.tipsAgree) verdict = 'fail: tips disagree';
  else if (!keptUp && acceptedTps < keepUp * step.rate && m.inBlocks >= keepUp * m.accepted)
    verdict = 'fail: client-bound (generator submitted less than offered; all of it included)';
  else if (!keptUp) verdict = 'fail: not included in time';
  return { ...step, includedTps: included, acceptedTps, keptUp, verdict };
}

/** The node-level section: a headline table (figure, baseline, ratio) plus the details. */
export function nodeSection(node) {
  if (!node) return '## Node level\n\n_Not run (`--skip-node`)._\n';
  const L = ['## Node level (real `tc-node` processes on 127.0.0.1)', ''];
  const cfg = node.config;
  L.push(
    `${cfg.nodes}-node devnet (\`tc-node devnet\`, every node a validator, one validation worker each), ` +
      `slots of ${cfg.slotMs} ms, tx steps of ${cfg.stepS} s.`,
    '',
  );
  const rows = [];
  const best = node.best;
  const single = node.single;
  const singleTps = single ? single.summary.accepted / single.durationS : Number.NaN;
  if (!node.load) {
    rows.push([
      'devnet tx/s where tips still agree (included in blocks)',
      best ? `${fmt(best.includedTps, 1)} tx/s (step ${best.rate} tx/s)` : 'none kept up',
      `1-node devnet, same generator at --tx-rate ${single?.rate ?? '?'}: ${fmt(singleTps, 1)} tx/s accepted`,
      ratio(best?.includedTps, singleTps),
    ]);
  }
  const prop = node.propagation;
  const rtt = node.rttMeanMs;
  rows.push([
    'block propagation, producer → all peers, p50',
    `${fmt(prop.p50, 1)} ms (${prop.count} blocks${prop.partial ? `; ${prop.partial} more not seen as tip by every node` : ''})`,
    `mean peer RTT (getpeerinfo, ${node.rttCount ?? '?'} readings): ${fmt(rtt, 2)} ms`,
    ratio(prop.p50, rtt),
  ]);
  rows.push([
    'block propagation, producer → all peers, p99',
    `${fmt(prop.p99, 1)} ms`,
    `mean peer RTT (getpeerinfo, ${node.rttCount ?? '?'} readings): ${fmt(rtt, 2)} ms`,
    ratio(prop.p99, rtt),
  ]);
  const sync = node.sync;
  const syncRate = sync?.ok ? sync.blocks / sync.totalS : Number.NaN;
  const poolRate = node.consensusSync?.pool;
  rows.push([
    'sync of a fresh node (spawn → tip)',
    sync
      ? sync.ok
        ? `${fmt(syncRate, 1)} blocks/s (${sync.blocks} blocks in ${fmt(sync.totalS, 2)} s)`
        : `did not reach the tip (${sync.height}/${sync.blocks})`
      : 'n/a',
    `pool validation only, consensus bench (same run): ${fmt(poolRate, 1)} blocks/s`,
    ratio(syncRate, poolRate),
  ]);
  const rss = node.rss.filter(Number.isFinite);
  const rssMean = rss.length ? rss.reduce((a, b) => a + b, 0) / rss.length : Number.NaN;
  rows.push([
    'RSS per node (mean of the devnet nodes, at the end of the best step)',
    `${fmt(rssMean / MiB, 1)} MiB (max ${fmt(Math.max(...rss) / MiB, 1)})`,
    `idle \`node -e\` process: ${fmt(node.idleRss / MiB, 1)} MiB`,
    ratio(rssMean, node.idleRss),
  ]);
  L.push(
    '| figure | tc | baseline (same run) | ratio tc/baseline |',
    '|---|---:|---|---:|',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
  );
  const stop = node.steps.filter((s) => best && s.rate > best.rate).at(-1);
  if (stop?.verdict?.startsWith('fail: client-bound')) {
    L.push(
      `The tx/s figure is a lower bound: at ${stop.rate} tx/s the generator itself submitted only ${fmt(stop.acceptedTps, 1)} tx/s ` +
        `(one transfer in flight per sender key), and ${fmt((100 * stop.summary.inBlocks) / stop.summary.accepted, 1)} % of that was included with agreeing tips.`,
      '',
    );
  }
  const disagreeing = node.steps.filter((s) => s.summary.found && !s.summary.tipsAgree);
  if (disagreeing.length || node.sync?.chain?.tipsAgree === false) {
    const what = disagreeing.map((s) => `${s.rate} tx/s`);
    if (node.sync?.chain?.tipsAgree === false)
      what.push(`the sync chain (${node.sync.chain.slotMs} ms slots)`);
    L.push(
      `Tips did **not** agree at the end of: ${what.join(', ')} — the nodes were still on different forks after the devnet's settle window (max(3 s, 4 slots)).`,
      '',
    );
  }
  if (node.testnet) L.push(testnetSection(node.testnet), '');
  if (node.load) {
    L.push(loadSection(node.load), '');
  } else {
    L.push(devnetStepsSection(node, cfg, single));
  }
  L.push('### How each figure was measured', '');
  L.push(...measuredNotes(node, cfg, sync, prop), '');
  return L.join('\n');
}

/** The testnet's section (tools/testnet), or why it did not run. */
export function testnetSection(testnet) {
  const L = ['### Testnet: many hosts, partial mesh, WAN latency (`tools/testnet`)', ''];
  if (testnet.skipped) L.push(`Not run: ${testnet.skipped}`);
  else if (!testnet.markdown)
    L.push('The testnet failed; its output:', '', '```', String(testnet.output ?? '').slice(-4000), '```');
  else {
    if (!testnet.ok) L.push('**Some end checks failed** (see the checks column).', '');
    L.push(testnet.markdown.trim());
  }
  return L.join('\n');
}

/** The load tool's tables (tools/load), or why they are missing. */
export function loadSection(load) {
  const L = ['### Transaction load (`tools/load`)', ''];
  if (!load.ok) {
    L.push('The load tool failed; its output:', '', '```', String(load.output ?? '').slice(-4000), '```');
    return L.join('\n');
  }
  L.push(
    'Each configuration is its own cluster of real `tc-node` processes (every node a validator, one validation worker each). ' +
      'UTXOs are fanned out to 512 keys first; every step pre-signs its transactions (the client CPU % column shows the client is not the bottleneck) and submits them through every node in JSON-RPC batches of 100. ' +
      "**lost** = accepted by RPC but not in the agreed chain after the mempools drained. A step passes with included tx/s ≥ 0.9 × offered tx/s (over the submission window, stretched by the nodes' back-pressure), 0 lost and agreeing tips; a failed step is run once more, and stepping stops after two failed steps. " +
      "Node CPU % is per process (100 % = one core) while the step was submitted; lag is the node's event-loop delay p99.",
    '',
    load.markdown.trim(),
  );
  return L.join('\n');
}

function devnetStepsSection(node, cfg, single) {
  const L = [];
  L.push('### Transaction-rate steps', '');
  L.push(
    `Each step is a fresh ${cfg.nodes}-node devnet; "kept up" = transactions in the agreed chain's blocks ≥ 90 % of the offered rate × the window; a step that fails (not kept up, or tips disagreeing after the devnet's settle window) is run once more (marked "retry"), and stepping stops when the retry fails too. The first step (${node.propagationRate} tx/s, ${cfg.firstS ?? '?'} s) is also the propagation and RSS-fallback run.`,
    '',
  );
  L.push(
    '| nodes | offered tx/s | accepted | accepted tx/s | rejected | in blocks | included tx/s | blocks | tips agree | verdict |',
  );
  L.push('|---:|---:|---:|---:|---:|---:|---:|---:|---|---|');
  for (const s of [...node.steps, ...(single ? [single] : [])]) {
    const m = s.summary;
    L.push(
      `| ${s.nodes} | ${s.rate}${s.attempt > 1 ? ' (retry)' : ''} | ${fmt(m.accepted)} | ${fmt(m.accepted / s.durationS, 1)} | ${fmt(m.rejected)} | ${fmt(m.inBlocks)} | ${fmt(
        s.includedTps ?? m.inBlocks / s.durationS,
        1,
      )} | ${fmt(m.blocks)} | ${m.tipsAgree ? 'yes' : 'NO'} | ${s.nodes === 1 ? '(baseline)' : s.verdict} |`,
    );
  }
  L.push('');
  return L.join('\n');
}

const devnetTxNote =
  `- **tx/s**: the devnet's own generator (one transfer in flight per sender key, built with \`listunspent\` + \`sendrawtransaction\` through the sender's node). ` +
  'The baseline is the same generator against a single-node devnet at its top rate: what one node accepts from that client without any gossip or block propagation. ' +
  'The ratio says how much of that single-node ceiling the network sustains with agreeing tips (the generator, not the node, may be the ceiling of both).';

function measuredNotes(node, cfg, sync, prop) {
  const poolRate = node.consensusSync?.pool;
  return [
    ...(node.load ? [] : [devnetTxNote]),
    `- **propagation**: one polling loop per node calls \`getbestblockhash\` every 10 ms during the step at ${node.propagationRate} tx/s; a block's time at a node is the midpoint of the first call that returned it. ` +
      `Propagation = last node's time − first node's (the producer's) for every block all ${cfg.nodes} nodes reported as their tip, from 3 s after every node answered RPC (peers connect first); a block replaced before some node polled it is not counted. Resolution ≈ poll interval + one RPC round trip (${fmt(prop.meanPollMs, 1)} ms mean here), so sub-10 ms figures are at the resolution limit. ` +
      'The node has no per-block connect timestamp in its metrics or info logs, hence polling. Baseline: the mean of the `rttMs` the nodes report for their peers (registry pings every 2 s), read near the end of every 4-node step, a one-hop round trip.',
    `- **sync**: a ${cfg.nodes}-node devnet builds a chain (${sync?.chain ? `${sync.chain.slotMs} ms slots, ${sync.chain.rate} tx/s for ${sync.chain.durationS} s: ${fmt(sync.chain.blocks)} blocks, ${fmt(sync.chain.txs)} transactions in blocks, tips ${sync.chain.tipsAgree ? 'agreed' : 'did NOT agree (the fresh node syncs from the serving nodes)'}` : 'see the steps'}); two of its nodes (the highest near the end${sync?.servers ? `: node-${sync.servers.join(', node-')}` : ''}) are restarted as serving peers and a fresh node (empty chain, same genesis) is started peered to them; the time runs from spawning it until its height reaches the serving tip (startup included; ${fmt(sync?.afterReadyS, 2)} s after it logged ready). ` +
      'Baseline: the consensus benchmark\'s "pool validation only" figure from this run (validation of its own blocks with no network and no storage), the upper bound of any import. ' +
      `The consensus bench's own sync figure with default per-peer rate quotas was ${fmt(node.consensusSync?.quota, 1)} blocks/s (ratio ${ratio(node.consensusSync?.quota, poolRate)}).`,
    '- **RSS**: `tc_node_process_resident_memory_bytes` from each node\'s `/metrics` two seconds before the step ends; baseline: VmRSS of an idle `node -e "setInterval(…)"` in the same run.',
  ];
}

/** Extracts the sync figures from the consensus benchmark's text output, if present. */
export function consensusSyncFigures(output) {
  const pool = String(output).match(/pool validation only[^\n]*?([0-9.]+) blocks\/s/);
  const quota = String(output).match(/sync, default rate quotas[^\n]*?\)\s+([0-9.]+) blocks\/s/);
  return { pool: pool ? Number(pool[1]) : Number.NaN, quota: quota ? Number(quota[1]) : Number.NaN };
}

/** The whole report. */
export function assembleReport({ machine, packages, node, quick, totalS }) {
  const L = ['# tc benchmark report', ''];
  L.push(
    `Generated by \`pnpm --filter @tc/bench bench${quick ? ' -- --quick' : ''}\` on ${machine.date}` +
      (Number.isFinite(totalS) ? ` (run took ${fmt(totalS / 60, 1)} min)` : '') +
      '. Every ratio compares a figure with a baseline measured in the same run on the same machine; ' +
      'absolute figures on a shared VM are noisy, ratios less so.',
    '',
  );
  L.push('## Machine', '');
  L.push('| | |', '|---|---|');
  L.push(`| CPU | ${machine.cpu} |`, `| cores | ${machine.cores} |`, `| RAM | ${machine.ramGiB} GiB |`);
  L.push(`| Node | ${machine.node} |`, `| OS | ${machine.os} |`, `| date | ${machine.date} |`);
  if (machine.commit)
    L.push(`| commit | ${machine.commit} (the built dist/ that ran may include uncommitted work) |`);
  if (machine.loadAvg) L.push(`| load average at start (1/5/15 min) | ${machine.loadAvg} |`);
  L.push('');
  L.push(nodeSection(node));
  L.push('## Package benchmarks', '');
  L.push('Run one after another (never in parallel), each as its own process.', '');
  for (const p of packages) L.push(packageSection(p));
  return `${L.join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`;
}
