import { toHex } from '../bytes.js';
import type { Mempool, MempoolEntry } from '../mempool.js';
import { encodeTransactionData } from '../model.js';

/** The part of @tc/storage's ChainStore that keeps accepted transactions. */
export interface AcceptedTxStore {
  putPendingTxsAsync(records: readonly { txid: Uint8Array; bytes: Uint8Array }[]): Promise<void>;
  deletePendingTxsAsync(txids: readonly Uint8Array[]): Promise<void>;
  listPendingTxs(limit?: number): { txid: Uint8Array; bytes: Uint8Array }[];
}

export interface AcceptedTxsOptions {
  store: AcceptedTxStore;
  mempool: Mempool;
  /** How often ids that left the mempool are deleted from the store (default 2 000 ms). */
  sweepMs?: number;
  /** Most ids deleted by one sweep (default 20 000); the rest wait for the next. */
  maxSweep?: number;
}

/**
 * "Accepted" means durable: a transaction submitted to this node is written to the store
 * before the node answers with its txid, so a crash before it reached a block or a peer loses
 * nothing; on start, what the store holds is admitted again. Entries leave the store lazily: a
 * sweep deletes the ids that are no longer in the mempool (confirmed, conflicting, evicted), so
 * the block path pays nothing. Only this node's own submissions are stored; a relayed
 * transaction is already stored by the node that accepted it.
 */
export class AcceptedTxs {
  /** Hex ids in the store (bounded by the store's maxPendingTxs: a put past it fails). */
  private readonly stored = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private readonly sweepMs: number;
  private readonly maxSweep: number;

  constructor(private readonly o: AcceptedTxsOptions) {
    this.sweepMs = o.sweepMs ?? 2_000;
    this.maxSweep = o.maxSweep ?? 20_000;
  }

  get size(): number {
    return this.stored.size;
  }

  /** What the store held at start: bytes to admit again (the sweep forgets those refused). */
  restore(): Uint8Array[] {
    const records = this.o.store.listPendingTxs();
    for (const r of records) this.stored.add(toHex(r.txid));
    return records.map((r) => r.bytes);
  }

  /** Durably stores admitted entries; resolves once they are on disk. */
  async persist(entries: readonly MempoolEntry[]): Promise<void> {
    const fresh = entries.map((e) => ({ key: toHex(e.txid), e })).filter(({ key }) => !this.stored.has(key));
    if (fresh.length === 0) return;
    await this.o.store.putPendingTxsAsync(
      fresh.map(({ e }) => ({ txid: e.txid, bytes: e.bytes ?? encodeTransactionData(e.tx) })),
    );
    for (const { key } of fresh) this.stored.add(key);
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.sweep(), this.sweepMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a sweep under way. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.sweeping;
  }

  /** Deletes stored ids whose transaction left the mempool (one sweep at a time). */
  sweep(): Promise<void> {
    this.sweeping ??= this.doSweep().finally(() => {
      this.sweeping = undefined;
    });
    return this.sweeping;
  }

  private async doSweep(): Promise<void> {
    const gone: string[] = [];
    for (const key of this.stored) {
      if (gone.length >= this.maxSweep) break;
      if (!this.o.mempool.has(key)) gone.push(key);
    }
    if (gone.length === 0) return;
    try {
      await this.o.store.deletePendingTxsAsync(gone.map((k) => new Uint8Array(Buffer.from(k, 'hex'))));
      for (const k of gone) this.stored.delete(k);
    } catch {
      // the store is closing or failing: the next sweep (or the next start) deletes them
    }
  }
}
