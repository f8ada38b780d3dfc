/**
 * Generic Cell Rate Algorithm (GCRA), the limiter Lodestar uses for req/resp
 * (`rate_limiter/rateLimiterGRCA.ts`). Each key keeps one number, its theoretical arrival
 * time (TAT). A request of `cost` tokens advances the TAT by `cost` emission intervals and
 * is allowed while the TAT stays within `burst` intervals of now.
 *
 * Guarantee (tested as a property): over any window of `t` ms, the allowed cost for one key
 * is at most `burst + ratePerSec · t / 1000`.
 */

/** A sustained rate with a burst allowance. Both are in tokens (a request's weighted cost). */
export interface RateQuota {
  /** Sustained tokens per second; must be > 0. */
  readonly ratePerSec: number;
  /** Tokens that may be spent at once from idle; must be ≥ 1. Also the largest single cost. */
  readonly burst: number;
}

export interface GcraLimiterOptions {
  /**
   * Most keys tracked at once (default 10 000). At the bound the least recently used key
   * is dropped: it then starts again from a full burst, never from more.
   */
  maxKeys?: number;
}

export const DEFAULT_GCRA_MAX_KEYS = 10_000;

/** Throws RangeError unless the quota is usable. Used at construction, never on the socket path. */
export function checkQuota(name: string, quota: RateQuota): RateQuota {
  if (!(Number.isFinite(quota.ratePerSec) && quota.ratePerSec > 0)) {
    throw new RangeError(`${name}.ratePerSec must be a finite number > 0, got ${quota.ratePerSec}`);
  }
  if (!(Number.isFinite(quota.burst) && quota.burst >= 1)) {
    throw new RangeError(`${name}.burst must be a finite number ≥ 1, got ${quota.burst}`);
  }
  return quota;
}

/**
 * Normalises a caller-supplied cost: NaN, zero and negative costs are charged as 1 (every
 * request costs something); other values are used as given.
 */
export function normaliseCost(cost: number | undefined): number {
  return cost !== undefined && cost > 0 ? cost : 1;
}

/**
 * GCRA limiter over string keys, all sharing one quota. Memory is bounded by `maxKeys`;
 * keys are kept in least-recently-used order.
 */
export class GcraLimiter {
  readonly quota: RateQuota;
  /** Milliseconds of credit one token is worth (the emission interval). */
  private readonly msPerToken: number;
  /** The tolerance: how far ahead of now a TAT may run. */
  private readonly burstMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;
  /** key → theoretical arrival time (ms, same clock as `now`). Insertion order = LRU order. */
  private readonly tat = new Map<string, number>();

  constructor(quota: RateQuota, now: () => number = Date.now, opts: GcraLimiterOptions = {}) {
    this.quota = checkQuota('quota', quota);
    this.msPerToken = 1000 / quota.ratePerSec;
    this.burstMs = quota.burst * this.msPerToken;
    this.now = now;
    const maxKeys = opts.maxKeys ?? DEFAULT_GCRA_MAX_KEYS;
    if (!Number.isInteger(maxKeys) || maxKeys < 1) {
      throw new RangeError(`maxKeys must be an integer ≥ 1, got ${maxKeys}`);
    }
    this.maxKeys = maxKeys;
  }

  /**
   * Spends `cost` tokens (default 1) for `key` if the quota allows it. A refused request
   * spends nothing. A cost above `burst` is always refused: callers clamp the cost to what
   * they will actually serve.
   */
  allow(key: string, cost?: number): boolean {
    const next = this.nextTat(key, normaliseCost(cost));
    if (next === undefined) return false;
    this.commit(key, next);
    return true;
  }

  /** Whether `allow(key, cost)` would succeed now, without spending anything. */
  wouldAllow(key: string, cost?: number): boolean {
    return this.nextTat(key, normaliseCost(cost)) !== undefined;
  }

  /**
   * Milliseconds until `cost` tokens would be allowed for `key` (0 if allowed now,
   * Infinity if the cost exceeds the burst). Useful for a "retry after" hint.
   */
  msUntilAllowed(key: string, cost?: number): number {
    const c = normaliseCost(cost);
    if (c > this.quota.burst) return Number.POSITIVE_INFINITY;
    const now = this.now();
    const tat = Math.max(this.tat.get(key) ?? now, now);
    return Math.max(0, tat + c * this.msPerToken - this.burstMs - now);
  }

  /** Drops the state for `key` (e.g. the peer disconnected). */
  forget(key: string): void {
    this.tat.delete(key);
  }

  /** Keys currently tracked (≤ maxKeys). */
  size(): number {
    return this.tat.size;
  }

  /**
   * Drops every key whose TAT is in the past: such a key is indistinguishable from a new
   * one. O(keys); call it from a slow periodic timer if memory matters more than the
   * `maxKeys` bound alone.
   */
  prune(): number {
    const now = this.now();
    let dropped = 0;
    for (const [key, tat] of this.tat) {
      if (tat <= now) {
        this.tat.delete(key);
        dropped++;
      }
    }
    return dropped;
  }

  /** The TAT after spending `cost` now, or undefined when that would exceed the burst. */
  private nextTat(key: string, cost: number): number | undefined {
    if (cost > this.quota.burst) return undefined;
    const now = this.now();
    const next = Math.max(this.tat.get(key) ?? now, now) + cost * this.msPerToken;
    // The epsilon absorbs float rounding so that exactly `burst` unit requests fit.
    return next - now <= this.burstMs + 1e-9 * this.burstMs ? next : undefined;
  }

  private commit(key: string, tat: number): void {
    // Re-insert so Map order is least-recently-used first.
    this.tat.delete(key);
    if (this.tat.size >= this.maxKeys) {
      const oldest = this.tat.keys().next();
      if (!oldest.done) this.tat.delete(oldest.value);
    }
    this.tat.set(key, tat);
  }
}
