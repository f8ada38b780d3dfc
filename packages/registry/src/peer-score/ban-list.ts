import { normaliseIp } from '../admission/ip.js';

/**
 * Bounded, expiring ban list, persisted through an injected store (e.g. @tc/storage).
 * Lookups are in memory and synchronous; persistence is fire-and-forget and its failures go
 * to `onError`, never into the socket path.
 */

export interface BanRecord {
  /** 'node:<hex>' (see nodeBanKey) or 'ip:<addr>' (see ipBanKey). */
  key: string;
  /** Epoch ms (same clock as `now`) at which the ban ends. */
  untilMs: number;
  reason: string;
}

export interface BanStore {
  listBans(): BanRecord[] | Promise<BanRecord[]>;
  putBan(r: BanRecord): void | Promise<void>;
  deleteBan(key: string): void | Promise<void>;
}

export interface BanListOptions {
  store?: BanStore;
  /** Most bans held (default 10 000). At the bound the ban that ends soonest is dropped. */
  maxEntries?: number;
  now?: () => number;
  /** Receives store failures (default: ignored). */
  onError?: (e: unknown) => void;
}

export const DEFAULT_BAN_LIST_MAX_ENTRIES = 10_000;
/** Longest ban accepted; longer (or non-finite) durations are clamped. No ban is permanent. */
export const MAX_BAN_MS = 365 * 24 * 60 * 60_000;

/** Ban key of a node id (hex, case-insensitive). */
export const nodeBanKey = (nodeIdHex: string): string => `node:${nodeIdHex.toLowerCase()}`;
/** Ban key of an IP address; IPv4-mapped IPv6 ('::ffff:1.2.3.4') is keyed as plain IPv4. */
export const ipBanKey = (ip: string): string => `ip:${normaliseIp(ip)}`;

export class BanList {
  private readonly store: BanStore | undefined;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly onError: (e: unknown) => void;
  private readonly bans = new Map<string, BanRecord>();

  constructor(opts: BanListOptions = {}) {
    this.store = opts.store;
    this.maxEntries = opts.maxEntries ?? DEFAULT_BAN_LIST_MAX_ENTRIES;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) {
      throw new RangeError(`maxEntries must be an integer ≥ 1, got ${this.maxEntries}`);
    }
    this.now = opts.now ?? Date.now;
    this.onError = opts.onError ?? (() => {});
  }

  /**
   * Loads the store's bans, dropping (and deleting from the store) expired or malformed ones.
   * If the store holds more than `maxEntries`, the longest-lasting are kept. Entries already
   * in memory win over stored ones only when they last longer. Rejects if the store does.
   */
  async load(): Promise<void> {
    if (this.store === undefined) return;
    const records = await this.store.listBans();
    const now = this.now();
    const valid: BanRecord[] = [];
    for (const r of records) {
      const ok =
        typeof r?.key === 'string' &&
        typeof r.untilMs === 'number' &&
        !Number.isNaN(r.untilMs) &&
        r.untilMs > now;
      if (ok) valid.push({ key: r.key, untilMs: r.untilMs, reason: String(r.reason ?? '') });
      else if (typeof r?.key === 'string') this.persistDelete(r.key);
    }
    valid.sort((a, b) => b.untilMs - a.untilMs);
    for (const r of valid) {
      const existing = this.bans.get(r.key);
      if (existing !== undefined && existing.untilMs >= r.untilMs) continue;
      if (existing === undefined && this.bans.size >= this.maxEntries) {
        this.persistDelete(r.key);
        continue;
      }
      this.bans.set(r.key, r);
    }
  }

  /**
   * Bans `key` for `durationMs` (clamped to 1 ms..MAX_BAN_MS). An existing longer ban is
   * kept; a shorter one is extended. Persists without waiting; never throws for the store.
   */
  ban(key: string, durationMs: number, reason: string): void {
    const now = this.now();
    const duration = Number.isNaN(durationMs) ? MAX_BAN_MS : Math.min(MAX_BAN_MS, Math.max(1, durationMs));
    const untilMs = now + duration;
    const existing = this.bans.get(key);
    if (existing !== undefined && existing.untilMs > now && existing.untilMs >= untilMs) return;
    this.bans.delete(key);
    if (this.bans.size >= this.maxEntries) this.evict(now);
    const record: BanRecord = { key, untilMs, reason };
    this.bans.set(key, record);
    this.persist(() => this.store?.putBan({ ...record }));
  }

  unban(key: string): void {
    if (this.bans.delete(key)) this.persistDelete(key);
  }

  /** Whether `key` is banned now. An expired ban is dropped here (and from the store). */
  isBanned(key: string): boolean {
    const r = this.bans.get(key);
    if (r === undefined) return false;
    if (r.untilMs > this.now()) return true;
    this.unban(key);
    return false;
  }

  /** The reason of the ban in force on `key`, undefined when there is none. */
  reasonOf(key: string): string | undefined {
    return this.isBanned(key) ? this.bans.get(key)?.reason : undefined;
  }

  /** Bans still in force (expired ones are dropped on the way). */
  list(): BanRecord[] {
    const now = this.now();
    const out: BanRecord[] = [];
    for (const r of [...this.bans.values()]) {
      if (r.untilMs > now) out.push({ ...r });
      else this.unban(r.key);
    }
    return out;
  }

  /** Entries held, possibly including expired ones not yet looked at (≤ maxEntries). */
  size(): number {
    return this.bans.size;
  }

  /** Drops expired entries; otherwise drops the ban that ends soonest. O(entries), bans are rare. */
  private evict(now: number): void {
    let soonest: BanRecord | undefined;
    for (const r of [...this.bans.values()]) {
      if (r.untilMs <= now) this.unban(r.key);
      else if (soonest === undefined || r.untilMs < soonest.untilMs) soonest = r;
    }
    if (this.bans.size >= this.maxEntries && soonest !== undefined) this.unban(soonest.key);
  }

  private persistDelete(key: string): void {
    this.persist(() => this.store?.deleteBan(key));
  }

  private persist(op: () => void | Promise<void> | undefined): void {
    if (this.store === undefined) return;
    try {
      const result = op();
      if (result !== undefined) Promise.resolve(result).catch((e: unknown) => this.report(e));
    } catch (e) {
      this.report(e);
    }
  }

  private report(e: unknown): void {
    try {
      this.onError(e);
    } catch {
      // An onError that throws must not reach the caller's socket path either.
    }
  }
}
