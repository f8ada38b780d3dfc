/**
 * Decaying peer scores, modelled on Lodestar (`peers/score/`): a score lives in −100..100,
 * decays exponentially towards 0 with a half-life, and crossing a threshold downwards yields
 * a verdict. Scores of disconnected peers with a bad record are remembered (bounded), so a
 * peer cannot wash its score by reconnecting.
 */

export interface PeerScoreOptions {
  /** Time for a score to halve towards 0 (default 10 min, as Lodestar). */
  halfLifeMs?: number;
  /** A score strictly below this → 'disconnect' (default −20). */
  disconnectBelow?: number;
  /** A score strictly below this → 'ban' (default −50). */
  banBelow?: number;
  /** Most peers remembered, connected or not (default 10 000). */
  maxEntries?: number;
  now?: () => number;
}

export type ScoreVerdict = 'ok' | 'disconnect' | 'ban';

export const MAX_SCORE = 100;
export const MIN_SCORE = -100;

export const DEFAULT_PEER_SCORE_OPTIONS = Object.freeze({
  halfLifeMs: 10 * 60_000,
  disconnectBelow: -20,
  banBelow: -50,
  maxEntries: 10_000,
});

/** A forgotten peer whose score is above this (nearly neutral or positive) is dropped at once. */
const REMEMBER_BELOW = -1;
/** Scores within this of 0 are stored as 0 (keeps the decay from running forever). */
const NEGLIGIBLE = 0.01;

interface Entry {
  score: number;
  /** Time (ms) `score` was last brought up to date. */
  atMs: number;
  lastReason: string;
}

export interface PeerScoreSnapshot {
  readonly peerId: string;
  readonly score: number;
  readonly lastReason: string;
  readonly connected: boolean;
}

export class PeerScoreBook {
  private readonly halfLifeMs: number;
  private readonly disconnectBelow: number;
  private readonly banBelow: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  /** Peers not forgotten. Insertion order = least recently updated first. */
  private readonly live = new Map<string, Entry>();
  /** Forgotten peers with a bad score, kept so reconnecting does not reset it. Evicted first. */
  private readonly remembered = new Map<string, Entry>();

  constructor(opts: PeerScoreOptions = {}) {
    const o = { ...DEFAULT_PEER_SCORE_OPTIONS, ...stripUndefined(opts) };
    if (!(o.halfLifeMs > 0)) throw new RangeError(`halfLifeMs must be > 0, got ${o.halfLifeMs}`);
    if (!(o.banBelow <= o.disconnectBelow)) {
      throw new RangeError(`banBelow (${o.banBelow}) must be ≤ disconnectBelow (${o.disconnectBelow})`);
    }
    if (!Number.isInteger(o.maxEntries) || o.maxEntries < 1) {
      throw new RangeError(`maxEntries must be an integer ≥ 1, got ${o.maxEntries}`);
    }
    this.halfLifeMs = o.halfLifeMs;
    this.disconnectBelow = o.disconnectBelow;
    this.banBelow = o.banBelow;
    this.maxEntries = o.maxEntries;
    this.now = opts.now ?? Date.now;
  }

  /**
   * Adds `delta` (negative = penalty) to the decayed score, clamps to −100..100, and says
   * what the new score calls for. A non-finite delta is ignored. A remembered (forgotten)
   * peer becomes live again.
   */
  add(peerId: string, delta: number, reason: string): ScoreVerdict {
    const now = this.now();
    const entry = this.take(peerId) ?? { score: 0, atMs: now, lastReason: '' };
    const decayed = this.decayed(entry, now);
    const next = Number.isFinite(delta) ? clamp(decayed + delta) : decayed;
    entry.score = Math.abs(next) < NEGLIGIBLE ? 0 : next;
    entry.atMs = now;
    if (Number.isFinite(delta) && delta !== 0) entry.lastReason = reason;
    this.insert(this.live, peerId, entry);
    return this.verdictOf(entry.score);
  }

  /** The score decayed to now; 0 for a peer never scored. */
  score(peerId: string): number {
    const entry = this.live.get(peerId) ?? this.remembered.get(peerId);
    return entry === undefined ? 0 : this.decayed(entry, this.now());
  }

  /** The verdict the current (decayed) score calls for. */
  verdict(peerId: string): ScoreVerdict {
    return this.verdictOf(this.score(peerId));
  }

  /** Reason given with the last non-zero delta, or '' for a peer never penalised. */
  lastReason(peerId: string): string {
    return (this.live.get(peerId) ?? this.remembered.get(peerId))?.lastReason ?? '';
  }

  /**
   * The peer disconnected. A bad score (below −1) is remembered until it decays away or is
   * evicted; anything else is dropped now.
   */
  forget(peerId: string): void {
    const entry = this.live.get(peerId);
    if (entry === undefined) return;
    this.live.delete(peerId);
    const now = this.now();
    entry.score = this.decayed(entry, now);
    entry.atMs = now;
    if (entry.score < REMEMBER_BELOW) this.insert(this.remembered, peerId, entry);
  }

  /** Entries held, live and remembered (≤ maxEntries). */
  size(): number {
    return this.live.size + this.remembered.size;
  }

  /** Drops remembered entries that have decayed to near-neutral. O(remembered). */
  prune(): number {
    const now = this.now();
    let dropped = 0;
    for (const [peerId, entry] of this.remembered) {
      if (this.decayed(entry, now) >= REMEMBER_BELOW) {
        this.remembered.delete(peerId);
        dropped++;
      }
    }
    return dropped;
  }

  /** Every entry with its score decayed to now (for metrics and debugging). */
  snapshot(): PeerScoreSnapshot[] {
    const now = this.now();
    const out: PeerScoreSnapshot[] = [];
    for (const [map, connected] of [
      [this.live, true],
      [this.remembered, false],
    ] as const) {
      for (const [peerId, e] of map) {
        out.push({ peerId, score: this.decayed(e, now), lastReason: e.lastReason, connected });
      }
    }
    return out;
  }

  /** Scores of live (not forgotten) peers, decayed to now. */
  liveScores(): number[] {
    const now = this.now();
    return [...this.live.values()].map((e) => this.decayed(e, now));
  }

  private verdictOf(score: number): ScoreVerdict {
    if (score < this.banBelow) return 'ban';
    if (score < this.disconnectBelow) return 'disconnect';
    return 'ok';
  }

  private decayed(entry: Entry, now: number): number {
    const elapsed = now - entry.atMs;
    if (entry.score === 0 || elapsed <= 0) return entry.score;
    const value = entry.score * 2 ** (-elapsed / this.halfLifeMs);
    return Math.abs(value) < NEGLIGIBLE ? 0 : value;
  }

  private take(peerId: string): Entry | undefined {
    const entry = this.live.get(peerId) ?? this.remembered.get(peerId);
    this.live.delete(peerId);
    this.remembered.delete(peerId);
    return entry;
  }

  /** Inserts as most recent, evicting remembered entries first, then the stalest live one. */
  private insert(map: Map<string, Entry>, peerId: string, entry: Entry): void {
    while (this.size() >= this.maxEntries) {
      const victimMap = this.remembered.size > 0 ? this.remembered : this.live;
      const oldest = victimMap.keys().next();
      if (oldest.done) break;
      victimMap.delete(oldest.value);
    }
    map.set(peerId, entry);
  }
}

function clamp(score: number): number {
  return Math.min(MAX_SCORE, Math.max(MIN_SCORE, score));
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
