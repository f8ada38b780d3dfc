import type { ChaosReport } from './chaos-run.js';
import { fmtS } from './util.js';

/** The human summary of a chaos run. */
export function formatChaosReport(r: ChaosReport): string {
  const lines = [
    `chaos summary (${r.ok ? 'PASS' : 'FAIL'}, ${fmtS(r.durationMs)}, seed ${r.options.seed}, ${r.options.nodes} nodes)`,
    `  faults:        ${r.kills} kill -9, ${r.schedule.filter((e) => e.kind === 'partition').length} partition, ${r.schedule.filter((e) => e.kind === 'slow').length} slow link, ${r.schedule.filter((e) => e.kind === 'corrupt').length} corrupt link (${r.flippedBytes} bytes flipped)`,
    `  transactions:  ${r.accepted} accepted, ${Object.values(r.rejected).reduce((a, b) => a + b, 0)} refused ${JSON.stringify(r.rejected)}, ${r.txs.inFinalChain} in the final chain`,
    `  orphaned:      ${r.txs.orphaned.length} seen in orphaned blocks: ${r.txs.orphaned.filter((x) => x.now === 'final-chain').length} now in the final chain, ${r.txs.orphaned.filter((x) => x.now === 'mempool').length} in a mempool, ${r.txs.orphaned.filter((x) => x.now === 'dropped').length} dropped (${r.dropped.conflicted} lost a double spend, ${r.dropped.unspentInputs} with unspent inputs)`,
  ];
  for (const c of r.checks) lines.push(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
  for (const d of r.digests) {
    lines.push(
      `  node ${d.node}: stored height ${d.storedHeight}, utxo digest ${d.digest.slice(0, 16)} (${d.utxos}) at ${d.height}, ${r.exits.filter((x) => x.node === d.node).length} process(es)`,
    );
  }
  return lines.join('\n');
}
