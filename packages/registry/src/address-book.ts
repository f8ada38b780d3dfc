import { isValidAddress } from './address.js';

/** One known peer address. @tc/storage persists these (structurally). */
export interface PeerRecord {
  address: string;
  nodeId?: string;
  lastSeenMs: number;
  failures: number;
}

/** Persistence of the address book, injected (e.g. @tc/storage). Failures never reach the socket path. */
export interface AddressBookStore {
  listPeers(): PeerRecord[] | Promise<PeerRecord[]>;
  putPeer(r: PeerRecord): void | Promise<void>;
  deletePeer(address: string): void | Promise<void>;
}

export interface AddressBookOptions {
  maxEntries: number;
  store?: AddressBookStore;
  /** Consecutive dial failures after which an address is dropped (default 5). */
  maxFailures?: number;
  now?: () => number;
  onError?: (e: unknown) => void;
}

/**
 * Bounded set of dialable peer addresses learned from configuration, inbound peers and
 * getPeers answers. At the bound, the entry with the most failures (then the oldest) goes.
 */
export class AddressBook {
  private readonly entries = new Map<string, PeerRecord>();
  private readonly maxFailures: number;
  private readonly now: () => number;

  constructor(private readonly opts: AddressBookOptions) {
    this.maxFailures = opts.maxFailures ?? 5;
    this.now = opts.now ?? Date.now;
  }

  async load(): Promise<void> {
    if (!this.opts.store) return;
    const records = await this.opts.store.listPeers();
    for (const r of records) {
      if (this.entries.size >= this.opts.maxEntries) break;
      if (typeof r?.address !== 'string' || !isValidAddress(r.address)) continue;
      this.entries.set(r.address, {
        address: r.address,
        ...(typeof r.nodeId === 'string' ? { nodeId: r.nodeId } : {}),
        lastSeenMs: Number(r.lastSeenMs) || 0,
        failures: Number(r.failures) || 0,
      });
    }
  }

  get size(): number {
    return this.entries.size;
  }

  get(address: string): PeerRecord | undefined {
    return this.entries.get(address);
  }

  list(): PeerRecord[] {
    return [...this.entries.values()].map((r) => ({ ...r }));
  }

  /** Adds or refreshes an address. Returns false when it is invalid or the book is full of better ones. */
  add(address: string, info: { nodeId?: string; lastSeenMs?: number } = {}): boolean {
    if (!isValidAddress(address)) return false;
    const existing = this.entries.get(address);
    if (existing) {
      if (info.nodeId) existing.nodeId = info.nodeId;
      if (info.lastSeenMs && info.lastSeenMs > existing.lastSeenMs) existing.lastSeenMs = info.lastSeenMs;
      return true;
    }
    if (this.entries.size >= this.opts.maxEntries && !this.evictOne()) return false;
    const record: PeerRecord = {
      address,
      ...(info.nodeId ? { nodeId: info.nodeId } : {}),
      lastSeenMs: info.lastSeenMs ?? 0,
      failures: 0,
    };
    this.entries.set(address, record);
    this.persist(record);
    return true;
  }

  /** A session was established through (or advertised) this address. */
  markSeen(address: string, nodeId: string): void {
    if (!this.add(address, { nodeId })) return;
    const r = this.entries.get(address)!;
    r.failures = 0;
    r.lastSeenMs = this.now();
    r.nodeId = nodeId;
    this.persist(r);
  }

  /** A dial failed; after `maxFailures` in a row the address is dropped. */
  markFailure(address: string): void {
    const r = this.entries.get(address);
    if (!r) return;
    r.failures++;
    if (r.failures >= this.maxFailures) this.remove(address);
    else this.persist(r);
  }

  remove(address: string): void {
    if (!this.entries.delete(address)) return;
    this.run(() => this.opts.store?.deletePeer(address));
  }

  get maxEntries(): number {
    return this.opts.maxEntries;
  }

  /** Up to `n` addresses to dial, fewest failures and most recently seen first. */
  candidates(n: number, skip: (r: PeerRecord) => boolean): PeerRecord[] {
    return [...this.entries.values()]
      .filter((r) => !skip(r))
      .sort((a, b) => a.failures - b.failures || b.lastSeenMs - a.lastSeenMs)
      .slice(0, n);
  }

  private evictOne(): boolean {
    let worst: PeerRecord | undefined;
    for (const r of this.entries.values()) {
      if (
        !worst ||
        r.failures > worst.failures ||
        (r.failures === worst.failures && r.lastSeenMs < worst.lastSeenMs)
      ) {
        worst = r;
      }
    }
    if (!worst) return false;
    this.remove(worst.address);
    return true;
  }

  private persist(r: PeerRecord): void {
    this.run(() => this.opts.store?.putPeer({ ...r }));
  }

  private run(op: () => void | Promise<void> | undefined): void {
    try {
      const result = op();
      if (result && typeof result.then === 'function') result.then(undefined, (e) => this.opts.onError?.(e));
    } catch (e) {
      this.opts.onError?.(e);
    }
  }
}
