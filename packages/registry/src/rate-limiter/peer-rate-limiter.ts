import { isMessageKind } from '@tc/wire';
import { checkQuota, DEFAULT_GCRA_MAX_KEYS, GcraLimiter, normaliseCost, type RateQuota } from './gcra.js';

/** The per-kind defaults come from the protocol descriptors (protocol.ts). */
export { DEFAULT_RATE_QUOTAS } from '../protocol.js';
export type { RateQuota } from './gcra.js';

/** Quota for a kind missing from `quotas` (and for kinds this build does not know). */
export const DEFAULT_RATE_QUOTA: RateQuota = Object.freeze({ ratePerSec: 20, burst: 50 });

/** A suggested `globalQuota`: per kind, across all peers together. Not applied unless passed. */
export const DEFAULT_GLOBAL_RATE_QUOTA: RateQuota = Object.freeze({ ratePerSec: 2000, burst: 4000 });

/**
 * How far beyond its quota a peer must go before a refusal counts as abuse: refused cost is
 * charged to a second bucket of `abuseFactor` × the quota (rate and burst), and only a refusal
 * that bucket cannot take either is 'abuse'. An honest peer that overshoots and slows down on
 * back-pressure never gets there; a flood sustained at ~11× the quota does within seconds.
 */
export const DEFAULT_ABUSE_FACTOR = 10;

/** Bucket that every kind string outside MESSAGE_KINDS and `quotas` shares. */
const UNKNOWN_KIND_BUCKET = '*unknown*';

export interface PeerRateLimiterOptions {
  /** Per-peer quota of each kind. Kinds not listed use `defaultQuota`. */
  quotas: Partial<Record<string, RateQuota>>;
  /** Per-peer quota for any kind not in `quotas`. */
  defaultQuota: RateQuota;
  /**
   * Quota of each kind across all peers together (Lodestar's "total" quota): one bucket per
   * kind, charged the same cost as the peer's bucket. Omit to disable the global check.
   */
  globalQuota?: RateQuota;
  /** Per-kind overrides of `globalQuota` (only used when `globalQuota` is set). */
  globalQuotas?: Partial<Record<string, RateQuota>>;
  /** Most peers tracked per kind (default 10 000); least recently used peers are dropped. */
  maxPeers?: number;
  /** Multiple of a quota the refused cost may reach before `check` says 'abuse' (default 10). */
  abuseFactor?: number;
  now?: () => number;
}

/**
 * - `allow`: within quota, the caller handles the message.
 * - `limit`: over quota; back-pressure without blame (a request is answered RATE_LIMITED, a
 *   gossip message is dropped). Nothing was spent from the quota.
 * - `abuse`: the refused cost also overflowed `abuseFactor` × the quota: RATE_LIMIT_ABUSE.
 */
export type RateVerdict = 'allow' | 'limit' | 'abuse';

/**
 * Inbound rate limiting per peer and per message kind, weighted by cost (e.g. blocks
 * requested), with an optional per-kind total across all peers. A message passes only if
 * both its peer bucket and its global bucket allow it; a refused message spends from neither.
 */
export class PeerRateLimiter {
  private readonly perKind = new Map<string, GcraLimiter>();
  private readonly globalByKind = new Map<string, GcraLimiter>();
  private readonly opts: PeerRateLimiterOptions;
  private readonly maxPeers: number;
  private readonly abuseFactor: number;
  private readonly now: () => number;
  /** Per kind: refused cost per peer, at abuseFactor × the quota (bounded by maxPeers, LRU). */
  private readonly overflowByKind = new Map<string, GcraLimiter>();
  /** peerId → consecutive refusals (a metric for operators; bounded by maxPeers, LRU). */
  private readonly refusals = new Map<string, number>();

  constructor(opts: PeerRateLimiterOptions) {
    this.opts = opts;
    this.now = opts.now ?? Date.now;
    this.maxPeers = opts.maxPeers ?? DEFAULT_GCRA_MAX_KEYS;
    this.abuseFactor = opts.abuseFactor ?? DEFAULT_ABUSE_FACTOR;
    if (!Number.isFinite(this.abuseFactor) || this.abuseFactor < 1) {
      throw new RangeError(`abuseFactor must be ≥ 1, got ${this.abuseFactor}`);
    }
    checkQuota('defaultQuota', opts.defaultQuota);
    for (const [kind, quota] of Object.entries(opts.quotas)) if (quota) checkQuota(`quotas.${kind}`, quota);
    if (opts.globalQuota) checkQuota('globalQuota', opts.globalQuota);
    for (const [kind, quota] of Object.entries(opts.globalQuotas ?? {})) {
      if (quota) checkQuota(`globalQuotas.${kind}`, quota);
    }
    if (!Number.isInteger(this.maxPeers) || this.maxPeers < 1) {
      throw new RangeError(`maxPeers must be an integer ≥ 1, got ${this.maxPeers}`);
    }
  }

  /** true when the message may be handled; false → reply with a RATE_LIMITED error. */
  allow(peerId: string, kind: string, cost?: number): boolean {
    return this.check(peerId, kind, cost) === 'allow';
  }

  /** Like `allow`, but tells a plain refusal from sustained abuse. */
  check(peerId: string, kind: string, cost?: number): RateVerdict {
    const bucket = this.bucketOf(kind);
    const c = normaliseCost(cost);
    const peer = this.peerLimiter(bucket);
    const global = this.globalLimiter(bucket);
    if (peer.wouldAllow(peerId, c) && (global === undefined || global.wouldAllow(bucket, c))) {
      peer.allow(peerId, c);
      global?.allow(bucket, c);
      this.refusals.delete(peerId);
      return 'allow';
    }
    const count = (this.refusals.get(peerId) ?? 0) + 1;
    this.refusals.delete(peerId);
    if (this.refusals.size >= this.maxPeers) {
      const oldest = this.refusals.keys().next();
      if (!oldest.done) this.refusals.delete(oldest.value);
    }
    this.refusals.set(peerId, count);
    return this.overflowLimiter(bucket).allow(peerId, c) ? 'limit' : 'abuse';
  }

  /** Consecutive refusals of `peerId` since its last allowed message. */
  consecutiveRefusals(peerId: string): number {
    return this.refusals.get(peerId) ?? 0;
  }

  /** Drops all state for a disconnected peer. */
  forget(peerId: string): void {
    for (const limiter of this.perKind.values()) limiter.forget(peerId);
    for (const limiter of this.overflowByKind.values()) limiter.forget(peerId);
    this.refusals.delete(peerId);
  }

  /** Peers tracked for `kind` (for tests and metrics). */
  trackedPeers(kind: string): number {
    return this.perKind.get(this.bucketOf(kind))?.size() ?? 0;
  }

  /** Known kinds (MESSAGE_KINDS or configured) get their own bucket; others share one. */
  private bucketOf(kind: string): string {
    return isMessageKind(kind) || Object.hasOwn(this.opts.quotas, kind) ? kind : UNKNOWN_KIND_BUCKET;
  }

  private peerLimiter(bucket: string): GcraLimiter {
    let limiter = this.perKind.get(bucket);
    if (limiter === undefined) {
      limiter = new GcraLimiter(this.quotaOf(bucket), this.now, { maxKeys: this.maxPeers });
      this.perKind.set(bucket, limiter);
    }
    return limiter;
  }

  private quotaOf(bucket: string): RateQuota {
    return this.opts.quotas[bucket] ?? this.opts.defaultQuota;
  }

  private overflowLimiter(bucket: string): GcraLimiter {
    let limiter = this.overflowByKind.get(bucket);
    if (limiter === undefined) {
      const quota = this.quotaOf(bucket);
      const scaled = {
        ratePerSec: quota.ratePerSec * this.abuseFactor,
        burst: quota.burst * this.abuseFactor,
      };
      limiter = new GcraLimiter(scaled, this.now, { maxKeys: this.maxPeers });
      this.overflowByKind.set(bucket, limiter);
    }
    return limiter;
  }

  private globalLimiter(bucket: string): GcraLimiter | undefined {
    if (this.opts.globalQuota === undefined) return undefined;
    let limiter = this.globalByKind.get(bucket);
    if (limiter === undefined) {
      const quota = this.opts.globalQuotas?.[bucket] ?? this.opts.globalQuota;
      limiter = new GcraLimiter(quota, this.now, { maxKeys: 1 });
      this.globalByKind.set(bucket, limiter);
    }
    return limiter;
  }
}
