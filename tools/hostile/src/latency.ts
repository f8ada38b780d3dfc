import type { LatencyStats } from './honest-probe.js';
import type { Resolved } from './options.js';
import type { LatencyVerdict } from './report.js';

/** Nearest-rank percentile of an ascending array (0 for an empty one). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/**
 * The latency rule: p99 during ≤ max(honestFactor × baseline p99, latencyFloorMs), at least
 * one answer, no failure; a reconnect's first answer (when measured) within the same limit.
 */
export function judge(
  during: LatencyStats,
  baseline: LatencyStats,
  o: Pick<Resolved, 'honestFactor' | 'latencyFloorMs'>,
  reconnectMs?: number,
): LatencyVerdict {
  const limitMs = Math.max(o.honestFactor * baseline.p99Ms, o.latencyFloorMs);
  const ratio = baseline.p99Ms > 0 ? during.p99Ms / baseline.p99Ms : 0;
  return {
    during,
    ratio: Math.round(ratio * 10) / 10,
    limitMs,
    ...(reconnectMs !== undefined ? { reconnectMs } : {}),
    ok:
      during.samples > 0 &&
      during.failures === 0 &&
      during.p99Ms <= limitMs &&
      (reconnectMs === undefined || reconnectMs <= limitMs),
  };
}
