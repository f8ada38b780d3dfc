/** One growth verdict: does a series keep growing after the warm-up? */
export interface Growth {
  readonly metric: string;
  readonly samples: number;
  /** Median of the first and second half of the post-warm-up samples. */
  readonly firstHalf: number;
  readonly secondHalf: number;
  /** Least-squares slope over the post-warm-up samples, per minute. */
  readonly slopePerMin: number;
  readonly grows: boolean;
}

/** When a series counts as growing: relative and absolute margins (see README). */
export interface GrowthRule {
  readonly rel: number;
  readonly abs: number;
}

export const GROWTH_RULES: Readonly<Record<'rss' | 'heapUsed' | 'handles', GrowthRule>> = {
  rss: { rel: 0.1, abs: 16 * 1024 * 1024 },
  heapUsed: { rel: 0.15, abs: 8 * 1024 * 1024 },
  handles: { rel: 0.1, abs: 5 },
};

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

export function slope(points: readonly { t: number; v: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mt = points.reduce((a, p) => a + p.t, 0) / n;
  const mv = points.reduce((a, p) => a + p.v, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.t - mt) * (p.v - mv);
    den += (p.t - mt) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/**
 * The growth test over the samples after the warm-up (t in ms): the series grows when the median
 * of the second half exceeds the median of the first half by more than `rel` × it + `abs`, AND the
 * least-squares slope over the whole post-warm-up window, extrapolated over that window, exceeds
 * `rel` × the first half's median. Medians ignore GC sawtooth and single spikes; the slope keeps
 * one step up (a cache filling once) from counting unless it is large. Fewer than 6 samples:
 * never "grows" (not enough data).
 */
export function growth(
  metric: string,
  points: readonly { t: number; v: number }[],
  rule: GrowthRule,
): Growth {
  const half = Math.floor(points.length / 2);
  const first = median(points.slice(0, half).map((p) => p.v));
  const second = median(points.slice(half).map((p) => p.v));
  const s = slope(points);
  const span = points.length > 1 ? (points.at(-1)?.t ?? 0) - (points[0]?.t ?? 0) : 0;
  const grows =
    points.length >= 6 && second > first * (1 + rule.rel) + rule.abs && s * span > rule.rel * Math.abs(first);
  return {
    metric,
    samples: points.length,
    firstHalf: first,
    secondHalf: second,
    slopePerMin: s * 60_000,
    grows,
  };
}
