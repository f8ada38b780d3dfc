import { formatAddress, NodeIdentity } from '@tc/registry';
import type { CaseContext, CaseOutcome, HostileCase } from './case.js';
import { connectionStorm } from './connection-storm.js';
import { decodeBomb } from './decode-bomb.js';
import { ProbeError } from './errors.js';
import { garbage } from './garbage.js';
import type { LatencyStats } from './honest-probe.js';
import { judge } from './latency.js';
import { lyingTip } from './lying-tip.js';
import { createHostileMetrics, type HostileMetrics } from './metrics.js';
import { neverReads } from './never-reads.js';
import { probeAddress, sleep } from './observe.js';
import { type CaseName, type HostileOptions, type Resolved, resolveOptions } from './options.js';
import { oversizedPrefix } from './oversized-prefix.js';
import { type ProbeHandle, startProbe } from './probe-handle.js';
import type { CaseResult, HostileReport } from './report.js';
import { requestFlood } from './request-flood.js';
import { rpcSlow } from './rpc-slow.js';
import { slowloris } from './slowloris.js';
import { stolenIdentity } from './stolen-identity.js';
import { unknownKind } from './unknown-kind.js';
import { wrongGenesis } from './wrong-genesis.js';

/** Every case by name. */
export const CASES: Readonly<Record<CaseName, HostileCase>> = {
  slowloris,
  garbage,
  'request-flood': requestFlood,
  'never-reads': neverReads,
  'wrong-genesis': wrongGenesis,
  'connection-storm': connectionStorm,
  'unknown-kind': unknownKind,
  'decode-bomb': decodeBomb,
  'lying-tip': lyingTip,
  'rpc-slow': rpcSlow,
  'oversized-prefix': oversizedPrefix,
  'stolen-identity': stolenIdentity,
};

/**
 * Runs the hostile cases against `options.target`, one after the other, while an honest
 * peer (a real PeerConnectionRegistry) times its requests: a baseline window first, then one
 * window per case. Resolves with the report (it never throws for a misbehaving node, only
 * when the honest peer cannot connect or measure a baseline: ProbeError).
 */
export async function runHostileSuite(options: HostileOptions): Promise<HostileReport> {
  const o = resolveOptions(options);
  const metrics = options.metricsRegistry ? createHostileMetrics(options.metricsRegistry) : undefined;
  const started = Date.now();
  const probe = await startProbe(
    {
      target: o.target,
      networkId: o.networkId,
      genesisHash: o.genesisHash,
      protocolVersion: o.protocolVersion,
      kind: o.probe.kind,
      intervalMs: o.probe.intervalMs,
      timeoutMs: o.probe.timeoutMs,
      identity: options.honestIdentity ?? NodeIdentity.generate(),
    },
    o.probe.worker,
  );
  try {
    o.log(
      `honest peer ${probe.nodeId.slice(0, 12)}… connected to ${probe.targetId.slice(0, 12)}…` +
        (probe.inWorker ? ' (worker thread)' : ' (this thread)'),
    );
    const baseline = await window(probe, o, metrics, () => sleep(o.probe.baselineMs));
    if (baseline.samples === 0 || baseline.failures > 0) {
      throw new ProbeError(
        'NO_BASELINE',
        `baseline: ${baseline.samples} answers, ${baseline.failures} failures ${JSON.stringify(baseline.failureCodes)}`,
      );
    }
    o.log(`baseline p50 ${baseline.p50Ms} ms p99 ${baseline.p99Ms} ms (${baseline.samples} samples)`);
    const ctx: CaseContext = { o, target: o.target, honest: probe, log: o.log };
    const results: CaseResult[] = [];
    let bannedBy: CaseName | undefined;
    for (const name of o.cases) {
      const result = await runCase(CASES[name], ctx, probe, baseline, bannedBy, metrics);
      if (result.addressBanned) bannedBy ??= name;
      results.push(result);
      o.log(
        `${name}: ${result.skipped ? 'SKIP' : result.pass ? 'PASS' : 'FAIL'} ${result.reaction} — ${result.detail}`,
      );
      await options.betweenCases?.(result);
    }
    return {
      target: formatAddress(o.target.host, o.target.port),
      networkId: o.networkId,
      startedAt: new Date(started).toISOString(),
      durationMs: Date.now() - started,
      honestFactor: o.honestFactor,
      latencyFloorMs: o.latencyFloorMs,
      probe: {
        kind: o.probe.kind,
        intervalMs: o.probe.intervalMs,
        nodeId: probe.nodeId,
        inWorker: probe.inWorker,
      },
      baseline,
      cases: results,
      passed: results.every((r) => r.pass || r.skipped !== undefined),
    };
  } finally {
    await probe.stop();
  }
}

async function runCase(
  c: HostileCase,
  ctx: CaseContext,
  probe: ProbeHandle,
  baseline: LatencyStats,
  bannedBy: CaseName | undefined,
  metrics: HostileMetrics | undefined,
): Promise<CaseResult> {
  const o = ctx.o;
  const started = Date.now();
  if (bannedBy !== undefined) {
    const seen = await probeAddress(o.target, { connectTimeoutMs: o.connectTimeoutMs, waitMs: 1_000 });
    if (seen === 'refused') {
      metrics?.cases.inc({ case: c.name, result: 'skipped' });
      return skipped(
        c,
        baseline,
        o,
        `skipped: our address was banned by ${bannedBy} (run it alone later, or bind another address)`,
      );
    }
  }
  const before = await probe.sessionGeneration();
  let outcome: CaseOutcome;
  let error: string | undefined;
  const during = await window(probe, o, metrics, async () => {
    try {
      outcome = await c.run(ctx);
    } catch (e) {
      error = `error: ${(e as Error).message}`;
      outcome = { reactions: ['none'], detail: error, ok: false, data: {} };
    }
  });
  const after = await probe.sessionGeneration();
  const out = outcome!;
  const survived =
    out.honestSessionSurvived !== undefined
      ? out.honestSessionSurvived && during.sessionsLost === 0
      : before !== undefined && before === after && during.sessionsLost === 0;
  const honest = judge(during, baseline, o, out.honestReconnectMs);
  const reactions = out.reactions.length > 0 ? out.reactions : (['none'] as const);
  const pass = out.ok && honest.ok && survived && error === undefined;
  metrics?.cases.inc({ case: c.name, result: error ? 'error' : pass ? 'pass' : 'fail' });
  return {
    name: c.name,
    reaction: error ? 'error' : reactions.join('+'),
    reactions: [...reactions],
    expected: c.expected,
    detail: out.detail,
    reactionOk: out.ok,
    honest,
    honestSessionSurvived: survived,
    pass,
    ...(error ? { error } : {}),
    addressBanned: out.addressBanned === true,
    durationMs: Date.now() - started,
    data: out.data,
  };
}

/** Runs `during` inside a probe window that lasts at least until it holds `minSamples` results. */
async function window(
  probe: ProbeHandle,
  o: Resolved,
  metrics: HostileMetrics | undefined,
  during: () => Promise<void>,
): Promise<LatencyStats> {
  await probe.begin();
  await during();
  const deadline = Date.now() + o.probe.minSamples * (o.probe.intervalMs + o.probe.timeoutMs);
  while ((await probe.windowCount()) < o.probe.minSamples && Date.now() < deadline) await sleep(10);
  const { stats, samples } = await probe.end();
  for (const ms of samples) metrics?.honestSeconds.observe(ms / 1000);
  for (const [code, n] of Object.entries(stats.failureCodes)) metrics?.honestFailures.inc({ code }, n);
  return stats;
}

function skipped(c: HostileCase, baseline: LatencyStats, o: Resolved, why: string): CaseResult {
  const empty: LatencyStats = {
    ...baseline,
    samples: 0,
    failures: 0,
    failureCodes: {},
    p50Ms: 0,
    p99Ms: 0,
    maxMs: 0,
    sessionsLost: 0,
    selfLagP99Ms: 0,
    durationMs: 0,
  };
  return {
    name: c.name,
    reaction: 'skipped',
    reactions: [],
    expected: c.expected,
    detail: why,
    reactionOk: false,
    honest: {
      during: empty,
      ratio: 0,
      limitMs: Math.max(o.honestFactor * baseline.p99Ms, o.latencyFloorMs),
      ok: false,
    },
    honestSessionSurvived: true,
    pass: false,
    skipped: why,
    addressBanned: true,
    durationMs: 0,
    data: {},
  };
}
