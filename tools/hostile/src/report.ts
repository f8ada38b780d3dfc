import type { Reaction } from './case.js';
import type { LatencyStats } from './honest-probe.js';
import type { CaseName } from './options.js';

/** The honest peer during one case, against the baseline. */
export interface LatencyVerdict {
  readonly during: LatencyStats;
  /** during.p99 / baseline.p99. */
  readonly ratio: number;
  /** max(honestFactor × baseline p99, latencyFloorMs). */
  readonly limitMs: number;
  /** First answer after the honest probe redialled during the attack (cases that do that). */
  readonly reconnectMs?: number;
  /** At least one answer, no failed request, p99 (and reconnectMs) within the limit. */
  readonly ok: boolean;
}

export interface CaseResult {
  readonly name: CaseName;
  /** Observed reactions, most severe first, joined with '+' (e.g. "rate-limit+disconnect"), or "skipped"/"error". */
  readonly reaction: string;
  readonly reactions: readonly Reaction[];
  readonly expected: string;
  readonly detail: string;
  /** The node reacted at least as the case requires. */
  readonly reactionOk: boolean;
  readonly honest: LatencyVerdict;
  /** The honest probe kept the same session (same generation, never lost) through the case. */
  readonly honestSessionSurvived: boolean;
  readonly pass: boolean;
  readonly skipped?: string;
  readonly error?: string;
  readonly addressBanned: boolean;
  readonly durationMs: number;
  readonly data: Record<string, unknown>;
}

export interface HostileReport {
  readonly target: string;
  readonly networkId: string;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly honestFactor: number;
  readonly latencyFloorMs: number;
  readonly probe: {
    readonly kind: string;
    readonly intervalMs: number;
    readonly nodeId: string;
    /** The probe timed its requests on a worker thread (not this process's event loop). */
    readonly inWorker: boolean;
  };
  readonly baseline: LatencyStats;
  readonly cases: readonly CaseResult[];
  /** Every case that ran passed (skipped cases do not fail the run). */
  readonly passed: boolean;
}

/** The report as a fixed-width text table plus one detail line per case. */
export function formatReport(r: HostileReport): string {
  const b = r.baseline;
  const head = [
    `tc-hostile against ${r.target} (network ${r.networkId}), ${(r.durationMs / 1000).toFixed(1)} s`,
    `honest probe (${r.probe.inWorker ? 'worker thread' : 'main thread'}): ${r.probe.kind} every ${r.probe.intervalMs} ms; baseline p50 ${ms(b.p50Ms)} p99 ${ms(b.p99Ms)} ` +
      `(${b.samples} samples); limit per case: p99 ≤ max(${r.honestFactor} × baseline p99, ${r.latencyFloorMs} ms)`,
    "own lag: p99 event-loop delay of the probe's thread during the case (its own stalls, not the node's)",
    '',
  ];
  const rows = [
    ['case', 'reaction', 'honest p50', 'honest p99', 'base p99', 'ratio', 'limit', 'own lag', 'result'],
    ...r.cases.map((c) => [
      c.name,
      c.reaction,
      c.skipped ? '-' : ms(c.honest.during.p50Ms),
      c.skipped ? '-' : ms(c.honest.during.p99Ms),
      ms(b.p99Ms),
      c.skipped ? '-' : `${c.honest.ratio.toFixed(1)}×`,
      ms(c.honest.limitMs),
      c.skipped ? '-' : ms(c.honest.during.selfLagP99Ms),
      c.skipped ? 'SKIP' : c.pass ? 'PASS' : 'FAIL',
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) =>
    row
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const table = [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)];
  const details = r.cases.map((c) => {
    const why: string[] = [];
    if (!c.skipped && !c.reactionOk) why.push(`reaction not as required (expected: ${c.expected})`);
    if (!c.skipped && !c.honest.ok) why.push(latencyWhy(c.honest));
    if (!c.skipped && !c.honestSessionSurvived) why.push('honest session lost or replaced');
    const tail = why.length > 0 ? ` [FAIL: ${why.join('; ')}]` : '';
    return `- ${c.name}: ${c.skipped ?? c.error ?? c.detail}${tail}`;
  });
  return [...head, ...table, '', ...details, '', r.passed ? 'PASS' : 'FAIL'].join('\n');
}

function latencyWhy(v: LatencyVerdict): string {
  const d = v.during;
  if (d.samples === 0) return 'honest peer got no answer';
  if (d.failures > 0) return `${d.failures} honest request(s) failed (${JSON.stringify(d.failureCodes)})`;
  if (v.reconnectMs !== undefined && v.reconnectMs > v.limitMs) {
    return `honest peer's first answer after redialling took ${ms(v.reconnectMs)}, over limit ${ms(v.limitMs)}`;
  }
  return `honest p99 ${ms(d.p99Ms)} over limit ${ms(v.limitMs)}`;
}

function ms(v: number): string {
  return v >= 100 ? `${Math.round(v)} ms` : `${v.toFixed(2)} ms`;
}
