// The load run's step table (markdown) from its JSON result.

const f0 = (x) => (Number.isFinite(x) ? x.toFixed(0) : '–');
const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : '–');
const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : '–');

function rejectedText(r) {
  const entries = Object.entries(r);
  return entries.length === 0 ? '0' : entries.map(([code, n]) => `${n} ${code}`).join(', ');
}

/** One markdown table of steps. */
export function stepTable(steps) {
  const lines = [
    '| offered tx/s | offered | accepted | rejected (by code) | included tx/s | included / offered | lost | p50 / p99 submit→block ms | p50 / p99 submit→final ms | finality lag p99 slots | tips | node CPU % | node RSS MiB | lag p99 ms | client CPU % | verdict |',
    '| ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- | --- | ---: | --- |',
  ];
  for (const s of steps) {
    lines.push(
      `| ${s.rate} | ${s.offered} | ${s.accepted} | ${rejectedText(s.rejected)} | ${f0(s.includedPerSec)} | ${f2(s.included / s.offered)} | ${s.lost} | ${f0(s.latencyP50Ms)} / ${f0(s.latencyP99Ms)} | ${f0(s.finalLatencyP50Ms)} / ${f0(s.finalLatencyP99Ms)}${s.notFinal ? ` (${s.notFinal} not final)` : ''} | ${f2(s.finalityLagP99Slots)} | ${s.tipsAgree ? 'agree' : 'DISAGREE'} | ${s.nodes.map((n) => f0(n.cpuPct)).join(' / ')} | ${s.nodes.map((n) => f0(n.rssMiB)).join(' / ')} | ${s.nodes.map((n) => f1(n.lagP99Ms)).join(' / ')} | ${f0(s.clientCpuPct)} | ${s.pass ? 'pass' : 'fail'} |`,
    );
  }
  return lines.join('\n');
}

/** The highest offered rate whose step passed (0 when none did). */
export function ceiling(steps) {
  return steps.filter((s) => s.pass).reduce((m, s) => Math.max(m, s.includedPerSec), 0);
}

/** The whole report: verify rate, each configuration's table, and the ratios the issue asks for. */
export function renderReport(result) {
  const out = [];
  out.push(
    `Ed25519 verifications on one core, measured in this run: ${f0(result.verifyPerSec)}/s with tc's verifier (libsodium), against ${f0(result.opensslVerifyPerSec)}/s with node:crypto (${f2(result.verifyPerSec / result.opensslVerifyPerSec)}×).`,
  );
  out.push(
    `Physical limit of ${result.nodes} nodes on ${result.cores} cores (each node verifies each signature once): ${f0(result.limitTxPerSec)} tx/s (with node:crypto's rate: ${f0((result.cores * result.opensslVerifyPerSec) / result.nodes)} tx/s).`,
  );
  out.push('');
  for (const run of result.runs) {
    out.push(`### ${run.label}`);
    out.push('');
    out.push(stepTable(run.steps));
    out.push('');
    const c = ceiling(run.steps);
    out.push(`Ceiling: ${f0(c)} tx/s included (${f2(c / result.limitTxPerSec)} × the physical limit).`);
    out.push('');
  }
  if (result.overhead) {
    out.push(
      `Network overhead: 4 × the 4-node ceiling (${f0(result.overhead.multi)}) / the 1-node ceiling (${f0(result.overhead.single)}) = ${f2(result.overhead.ratio)} (target ≥ 0.8).`,
    );
  }
  return out.join('\n');
}
