import { fromUtf8, utf8 } from './bytes.js';
import type { KvReader, KvWriter } from './kv-engine.js';
import type { StorageLimits } from './limits.js';
import type { BanRecord, PeerRecord } from './types.js';

type Write = <T>(fn: (tx: KvWriter) => T) => T;

/**
 * Bans and the peer address book: small JSON records keyed by their UTF-8 key, each write its
 * own durable transaction. Bounded by `maxBans` / `maxPeers` (see docs/LIMITS.md). Input is
 * validated (RangeError) so a bad record from the network cannot grow or corrupt the tables.
 */
export class PeerBook {
  constructor(
    private readonly write: Write,
    private readonly read: KvReader,
    private readonly limits: StorageLimits,
    private readonly now: () => number,
  ) {}

  /** Bans that have not expired, in key order. */
  listBans(): BanRecord[] {
    const now = this.now();
    const out: BanRecord[] = [];
    for (const { value } of this.read.range('bans')) {
      const ban = parseBan(value);
      if (ban !== undefined && ban.untilMs > now) out.push(ban);
    }
    return out;
  }

  putBan(record: BanRecord): void {
    const key = this.checkKey(record?.key, 'ban key');
    if (!Number.isFinite(record.untilMs)) throw new RangeError('ban untilMs must be a finite number');
    if (typeof record.reason !== 'string') throw new RangeError('ban reason must be a string');
    const stored: BanRecord = {
      key: record.key,
      untilMs: record.untilMs,
      reason: truncateUtf8(record.reason, this.limits.maxReasonBytes),
    };
    this.write((tx) => {
      if (tx.get('bans', key) === undefined)
        this.makeRoom(tx, 'bans', this.limits.maxBans, banRank(this.now()));
      tx.put('bans', key, utf8(JSON.stringify(stored)));
    });
  }

  deleteBan(key: string): void {
    const bytes = this.checkKey(key, 'ban key');
    this.write((tx) => tx.del('bans', bytes));
  }

  /** Every address-book entry, in address order. */
  listPeers(): PeerRecord[] {
    const out: PeerRecord[] = [];
    for (const { value } of this.read.range('peers')) {
      const peer = parsePeer(value);
      if (peer !== undefined) out.push(peer);
    }
    return out;
  }

  putPeer(record: PeerRecord): void {
    const key = this.checkKey(record?.address, 'peer address');
    if (record.nodeId !== undefined) this.checkKey(record.nodeId, 'peer nodeId');
    if (!Number.isFinite(record.lastSeenMs)) throw new RangeError('peer lastSeenMs must be a finite number');
    if (!Number.isSafeInteger(record.failures) || record.failures < 0) {
      throw new RangeError('peer failures must be a non-negative integer');
    }
    const stored: PeerRecord = {
      address: record.address,
      ...(record.nodeId === undefined ? {} : { nodeId: record.nodeId }),
      lastSeenMs: record.lastSeenMs,
      failures: record.failures,
    };
    this.write((tx) => {
      if (tx.get('peers', key) === undefined) this.makeRoom(tx, 'peers', this.limits.maxPeers, peerRank);
      tx.put('peers', key, utf8(JSON.stringify(stored)));
    });
  }

  deletePeer(address: string): void {
    const bytes = this.checkKey(address, 'peer address');
    this.write((tx) => tx.del('peers', bytes));
  }

  /** Deletes expired bans; returns how many went. */
  pruneExpiredBans(): number {
    const now = this.now();
    return this.write((tx) => {
      const expired: Uint8Array[] = [];
      for (const { key, value } of tx.range('bans')) {
        const ban = parseBan(value);
        if (ban === undefined || ban.untilMs <= now) expired.push(key);
      }
      for (const key of expired) tx.del('bans', key);
      return expired.length;
    });
  }

  private checkKey(value: unknown, what: string): Uint8Array {
    if (typeof value !== 'string' || value.length === 0)
      throw new RangeError(`${what} must be a non-empty string`);
    const bytes = utf8(value);
    if (bytes.byteLength > this.limits.maxKeyBytes) {
      throw new RangeError(`${what} is ${bytes.byteLength} bytes; the limit is ${this.limits.maxKeyBytes}`);
    }
    if (bytes.includes(0)) throw new RangeError(`${what} must not contain NUL`);
    return bytes;
  }

  /**
   * Frees one slot when the table is at its bound: evicts the entry with the lowest eviction
   * rank (compared element by element; unparseable entries rank lowest). O(entries), only paid
   * when a new key arrives at the bound.
   */
  private makeRoom(
    tx: KvWriter,
    table: 'bans' | 'peers',
    max: number,
    rank: (value: Uint8Array) => Rank,
  ): void {
    let count = tx.count(table);
    while (count >= max) {
      let victim: Uint8Array | undefined;
      let victimRank: Rank | undefined;
      for (const { key, value } of tx.range(table)) {
        const r = rank(value);
        if (victimRank === undefined || lower(r, victimRank)) {
          victim = key;
          victimRank = r;
        }
      }
      if (victim === undefined) return;
      tx.del(table, victim);
      count--;
    }
  }
}

type Rank = readonly [number, number];
const UNPARSEABLE: Rank = [Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY];

function lower(a: Rank, b: Rank): boolean {
  return a[0] !== b[0] ? a[0] < b[0] : a[1] < b[1];
}

/** Eviction rank of a ban: expired bans first, then the ban that ends soonest. */
function banRank(now: number): (value: Uint8Array) => Rank {
  return (value) => {
    const ban = parseBan(value);
    if (ban === undefined) return UNPARSEABLE;
    return [ban.untilMs <= now ? 0 : 1, ban.untilMs];
  };
}

/** Eviction rank of a peer (as @tc/registry's address book): most failures first, then seen longest ago. */
function peerRank(value: Uint8Array): Rank {
  const peer = parsePeer(value);
  return peer === undefined ? UNPARSEABLE : [-peer.failures, peer.lastSeenMs];
}

function parseJson(value: Uint8Array): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(fromUtf8(value));
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function parseBan(value: Uint8Array): BanRecord | undefined {
  const o = parseJson(value);
  if (o === undefined || typeof o.key !== 'string' || typeof o.untilMs !== 'number') return undefined;
  return { key: o.key, untilMs: o.untilMs, reason: typeof o.reason === 'string' ? o.reason : '' };
}

function parsePeer(value: Uint8Array): PeerRecord | undefined {
  const o = parseJson(value);
  if (o === undefined || typeof o.address !== 'string' || typeof o.lastSeenMs !== 'number') return undefined;
  const failures = typeof o.failures === 'number' ? o.failures : 0;
  return typeof o.nodeId === 'string'
    ? { address: o.address, nodeId: o.nodeId, lastSeenMs: o.lastSeenMs, failures }
    : { address: o.address, lastSeenMs: o.lastSeenMs, failures };
}

function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = utf8(text);
  if (bytes.byteLength <= maxBytes) return text;
  // Cut on a code-point boundary: drop continuation bytes (10xxxxxx) at the cut.
  let end = maxBytes;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return fromUtf8(bytes.subarray(0, end));
}
