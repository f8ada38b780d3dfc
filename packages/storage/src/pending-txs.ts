import { PendingTxsFullError } from './errors.js';
import type { KvReader, KvWriter } from './kv-engine.js';
import type { StorageLimits } from './limits.js';

type WriteAsync = <T>(fn: (tx: KvWriter) => T) => Promise<T>;

/** A transaction a node accepted and must not lose: its id and its encoded bytes. */
export interface PendingTxRecord {
  readonly txid: Uint8Array;
  readonly bytes: Uint8Array;
}

/**
 * Accepted transactions (`pending` table: txid → bytes), so that a transaction a node answered
 * with its txid survives a crash before it reached a block or another node. Written before the
 * node answers, in one durable transaction per event turn (lmdb batches the turn's writes);
 * deleted once the transaction left the mempool. Bounded by `maxPendingTxs` entries of at most
 * `maxPendingTxBytes` bytes each.
 */
export class PendingTxs {
  private stored: number;

  constructor(
    private readonly writeAsync: WriteAsync,
    private readonly read: KvReader,
    private readonly limits: StorageLimits,
  ) {
    this.stored = read.count('pending');
  }

  get count(): number {
    return this.stored;
  }

  /** Stores the records durably (all or none); an id already stored is overwritten. */
  async put(records: readonly PendingTxRecord[]): Promise<void> {
    for (const r of records) this.check(r);
    if (this.stored + records.length > this.limits.maxPendingTxs) {
      throw new PendingTxsFullError(this.stored, records.length, this.limits.maxPendingTxs);
    }
    this.stored += records.length; // reserved now, so concurrent puts cannot overshoot the bound
    try {
      const added = await this.writeAsync((tx) => {
        let fresh = 0;
        for (const r of records) {
          if (tx.get('pending', r.txid) === undefined) fresh++;
          tx.put('pending', r.txid, r.bytes);
        }
        return fresh;
      });
      this.stored -= records.length - added;
    } catch (error) {
      this.stored -= records.length;
      throw error;
    }
  }

  /** Deletes the ids (missing ones are ignored) in one durable transaction. */
  async delete(txids: readonly Uint8Array[]): Promise<void> {
    if (txids.length === 0) return;
    for (const id of txids) this.checkId(id);
    const removed = await this.writeAsync((tx) => {
      let n = 0;
      for (const id of txids) {
        if (tx.get('pending', id) === undefined) continue;
        tx.del('pending', id);
        n++;
      }
      return n;
    });
    this.stored -= removed;
  }

  /** Up to `limit` records, in txid order. */
  list(limit = this.limits.maxPendingTxs): PendingTxRecord[] {
    const out: PendingTxRecord[] = [];
    for (const { key, value } of this.read.range('pending', { limit })) {
      out.push({ txid: new Uint8Array(key), bytes: new Uint8Array(value) });
    }
    return out;
  }

  private check(r: PendingTxRecord): void {
    this.checkId(r?.txid);
    if (!(r.bytes instanceof Uint8Array) || r.bytes.byteLength === 0) {
      throw new RangeError('a pending transaction needs its bytes');
    }
    if (r.bytes.byteLength > this.limits.maxPendingTxBytes) {
      throw new RangeError(
        `a pending transaction of ${r.bytes.byteLength} bytes exceeds maxPendingTxBytes ${this.limits.maxPendingTxBytes}`,
      );
    }
  }

  private checkId(id: unknown): asserts id is Uint8Array {
    if (!(id instanceof Uint8Array) || id.byteLength !== 32) throw new RangeError('a txid must be 32 bytes');
  }
}
