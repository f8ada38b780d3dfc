import type { tc } from '@tc/wire';
import { toHex } from './bytes.js';
import { txid as computeTxid } from './canonical.js';
import type { UtxoEntry, UtxoSource } from './chain-state.js';
import { ConsensusError } from './errors.js';
import { type GenesisConfig, statelessParams } from './genesis.js';
import { MempoolError } from './mempool-errors.js';
import { decodeBatch, type Ready, readInputs, type Work } from './mempool-intake.js';
import { below, type MempoolAddResult, type MempoolEntry, type MempoolOptions } from './mempool-types.js';
import { type MempoolMetrics, registerMempoolMetrics } from './metrics.js';
import { type Outpoint, outpointKey, type TransactionData } from './model.js';
import { checkSpends } from './stateful.js';
import type { StatelessValidator } from './stateless-validator.js';

export type { MempoolAddResult, MempoolEntry, MempoolOptions } from './mempool-types.js';

/**
 * Pending transactions, bounded by count and bytes, ordered by fee rate (fee / consensus
 * size). A transaction is admitted only if it spends confirmed, unspent outputs no other
 * pending transaction spends (no chains of unconfirmed transactions in v1). When full, the
 * lowest fee rates are evicted for a strictly better one.
 */
export class Mempool {
  readonly maxCount: number;
  readonly maxBytes: number;
  /**
   * Best first: [0] is mined first, the end is evicted first. Equal fee rates keep arrival
   * order, so the common insert (a newcomer at a fee rate already present) is an append and a
   * block's confirmations leave from the front in one pass (`removeForBlock`).
   */
  private ranked: MempoolEntry[] = [];
  private readonly byTxid = new Map<string, MempoolEntry>();
  private readonly spentBy = new Map<string, string>();
  private totalBytes = 0;
  private seq = 0;
  private chainVersion = 0;
  private readonly metrics: MempoolMetrics | undefined;

  constructor(options: MempoolOptions = {}) {
    this.maxCount = options.maxCount ?? 10_000;
    this.maxBytes = options.maxBytes ?? 32 * 1024 * 1024;
    if (!Number.isInteger(this.maxCount) || this.maxCount < 1) throw new RangeError('maxCount must be >= 1');
    if (!Number.isInteger(this.maxBytes) || this.maxBytes < 1) throw new RangeError('maxBytes must be >= 1');
    this.metrics = options.registry ? registerMempoolMetrics(options.registry, this) : undefined;
  }

  get count(): number {
    return this.byTxid.size;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  /** By id, as bytes or as lowercase hex. */
  has(txid: Uint8Array | string): boolean {
    return this.byTxid.has(typeof txid === 'string' ? txid : toHex(txid));
  }

  get(txid: Uint8Array): MempoolEntry | undefined {
    return this.byTxid.get(toHex(txid));
  }

  /** The txid spending an outpoint in the mempool, if any. */
  spenderOf(outpoint: Outpoint): Uint8Array | undefined {
    const id = this.spentBy.get(outpointKey(outpoint.txid, outpoint.vout));
    return id ? this.byTxid.get(id)?.txid : undefined;
  }

  /** Position of `entry` in `ranked`: the first entry that does not rank above it. */
  private indexOf(entry: MempoolEntry): number {
    let lo = 0;
    let hi = this.ranked.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (below(entry, this.ranked[mid]!)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Inserts a transaction already checked by the consensus rules (stateless and against the
   * UTXO set). Enforces the mempool policy; throws MempoolError.
   */
  insert(candidate: {
    txid: Uint8Array;
    tx: TransactionData;
    size: number;
    fee: bigint;
    bytes?: Uint8Array;
  }): MempoolEntry {
    const id = toHex(candidate.txid);
    if (this.byTxid.has(id)) throw new MempoolError('ALREADY_IN_MEMPOOL', id);
    for (const input of candidate.tx.inputs) {
      if (this.spentBy.has(outpointKey(input.prevTxid, input.vout))) {
        throw new MempoolError(
          'MEMPOOL_CONFLICT',
          `${outpointKey(input.prevTxid, input.vout)} is already spent`,
        );
      }
    }
    const entry: MempoolEntry = { ...candidate, seq: this.seq++ };
    if (entry.size > this.maxBytes)
      throw new MempoolError('MEMPOOL_FULL', 'transaction exceeds the mempool size');
    // How many of the lowest entries must go, and are they all strictly worse?
    let evict = 0;
    let count = this.count + 1;
    let bytes = this.totalBytes + entry.size;
    while (count > this.maxCount || bytes > this.maxBytes) {
      const victim = this.ranked[this.ranked.length - 1 - evict];
      if (!victim || !below(victim, entry))
        throw new MempoolError('MEMPOOL_FULL', 'fee rate too low to evict');
      count--;
      bytes -= victim.size;
      evict++;
    }
    for (const victim of this.ranked.slice(this.ranked.length - evict)) this.removeEntry(victim, 'fee_rate');
    // The common case: no better fee rate than the last entry's, so it goes last (one compare).
    const last = this.ranked[this.ranked.length - 1];
    if (last === undefined || below(entry, last)) this.ranked.push(entry);
    else this.ranked.splice(this.indexOf(entry), 0, entry);
    this.byTxid.set(id, entry);
    for (const input of entry.tx.inputs) this.spentBy.set(outpointKey(input.prevTxid, input.vout), id);
    this.totalBytes += entry.size;
    this.metrics?.admitted.inc();
    return entry;
  }

  private removeEntry(entry: MempoolEntry, reason: string): void {
    if (!this.forget(entry, reason)) return;
    const at = this.indexOf(entry);
    if (this.ranked[at] === entry) this.ranked.splice(at, 1);
    else this.ranked.splice(this.ranked.indexOf(entry), 1);
  }

  /** Drops `entry` from every index but `ranked`; false when it was not pending. */
  private forget(entry: MempoolEntry, reason: string): boolean {
    const id = toHex(entry.txid);
    if (this.byTxid.get(id) !== entry) return false;
    this.byTxid.delete(id);
    for (const input of entry.tx.inputs) this.spentBy.delete(outpointKey(input.prevTxid, input.vout));
    this.totalBytes -= entry.size;
    this.metrics?.evicted.inc({ reason });
    return true;
  }

  /** Removes one transaction; returns whether it was pending. */
  remove(txid: Uint8Array): boolean {
    const entry = this.byTxid.get(toHex(txid));
    if (entry) this.removeEntry(entry, 'manual');
    return entry !== undefined;
  }

  /**
   * Evicts what a committed block confirmed (its txids) or conflicts with (pending
   * transactions spending an outpoint the block spent). Returns the number removed.
   */
  removeForBlock(plan: {
    readonly txs: readonly { readonly txid: Uint8Array }[];
    readonly spends: readonly Outpoint[];
  }): number {
    this.chainVersion++;
    // Forget every confirmed or conflicting entry first, then rebuild `ranked` in one pass:
    // one splice per transaction cost O(mempool) each, per block.
    const gone = new Set<MempoolEntry>();
    for (const { txid } of plan.txs) {
      const entry = this.byTxid.get(toHex(txid));
      if (entry && this.forget(entry, 'confirmed')) gone.add(entry);
    }
    for (const spend of plan.spends) {
      const id = this.spentBy.get(outpointKey(spend.txid, spend.vout));
      const entry = id ? this.byTxid.get(id) : undefined;
      if (entry && this.forget(entry, 'conflict')) gone.add(entry);
    }
    if (gone.size > 0) this.ranked = this.ranked.filter((e) => !gone.has(e));
    return gone.size;
  }

  /** Up to `max` pending transactions, highest fee rate first (answers getPendingTxs). */
  pending(max: number): MempoolEntry[] {
    const n = Math.max(0, Math.min(Math.floor(max), this.ranked.length));
    return this.ranked.slice(0, n);
  }

  /**
   * Highest fee rate first, skipping what does not fit in `maxBytes`; stops after `maxTxs`.
   * Every subset of the mempool is a valid set of transactions (no chains, no conflicts).
   */
  selectForBlock(maxBytes: number, maxTxs = Number.MAX_SAFE_INTEGER): MempoolEntry[] {
    const out: MempoolEntry[] = [];
    let left = maxBytes;
    for (let i = 0; i < this.ranked.length && out.length < maxTxs && left > 0; i++) {
      const entry = this.ranked[i]!;
      if (entry.size <= left) {
        out.push(entry);
        left -= entry.size;
      }
    }
    return out;
  }

  clear(): void {
    for (const entry of [...this.ranked]) this.removeEntry(entry, 'manual');
  }

  private reject(error: ConsensusError | MempoolError, txid?: Uint8Array): MempoolAddResult {
    this.metrics?.rejected.inc({ code: error.code });
    return txid ? { ok: false, txid, error } : { ok: false, error };
  }

  /**
   * Validates and admits a batch. Cheap before expensive: decoded on this thread, then every
   * input is looked up, and a transaction spending what is unknown or spent (typically one
   * fetched just after the block that confirmed it) is refused before its signatures cost a
   * verification; the rest go to the validator as one batch, and are inserted against the
   * inputs read before, read again only if a block landed meanwhile. One result per input.
   */
  async addTransactions(
    txs: readonly (Uint8Array | tc.v1.Transaction.$Properties)[],
    ctx: { validator: StatelessValidator; utxos: UtxoSource; genesis: GenesisConfig },
    /** Txids this node hashed already (same order, e.g. gossip's): nothing is hashed twice. */
    txids?: readonly (Uint8Array | undefined)[],
  ): Promise<MempoolAddResult[]> {
    const results: (MempoolAddResult | undefined)[] = new Array(txs.length);
    const { decoded, refused } = decodeBatch(txs, txids);
    for (const r of refused) results[r.index] = this.reject(r.error);
    const read = { version: this.chainVersion, spent: await readInputs(decoded, ctx.utxos) };
    const work: Work[] = [];
    const workSpent: (readonly (UtxoEntry | undefined)[])[] = [];
    decoded.forEach((w, i) => {
      const spent = read.spent[i]!;
      const missing = spent.indexOf(undefined);
      if (missing >= 0) {
        // The txid is hashed here (the pool never saw it), so callers can tell which it was.
        const error = new MempoolError('MISSING_INPUT', `input ${missing} is unknown or spent`);
        results[w.index] = this.reject(error, w.txid ?? computeTxid(w.tx));
        return;
      }
      work.push(w);
      workSpent.push(spent);
    });
    // Txids come from the pool (computed there anyway), so this thread hashes only what it refused; a
    // duplicate costs the pool no verification either (the signature cache answers for it).
    const checked = await ctx.validator.validateTransactions(
      work.map((w) => w.bytes),
      statelessParams(ctx.genesis),
      work.map((w) => w.txid),
    );
    const ready: Ready[] = [];
    const batchIds = new Set<string>();
    checked.forEach((r, i) => {
      const w = work[i]!;
      if (!r.ok) {
        // The rare path: the txid is computed here, so that callers can tell which it was.
        results[w.index] = this.reject(r.error, w.txid ?? computeTxid(w.tx));
        return;
      }
      const hex = toHex(r.txid);
      if (this.byTxid.has(hex) || batchIds.has(hex)) {
        results[w.index] = this.reject(new MempoolError('ALREADY_IN_MEMPOOL', hex), r.txid);
        return;
      }
      batchIds.add(hex);
      // A copy: the pool's result buffer holds the whole batch's txids.
      ready.push({ ...w, txid: r.txid.slice(), size: r.size, spent: workSpent[i]! });
    });
    if (read.version === this.chainVersion) {
      for (const w of ready) results[w.index] = this.admit(w, w.spent);
      return results as MempoolAddResult[];
    }
    for (let attempt = 0; attempt < 3 && ready.length > 0; attempt++) {
      const version = this.chainVersion;
      const again = await readInputs(ready, ctx.utxos);
      if (version !== this.chainVersion) continue; // a block landed meanwhile: look again
      ready.forEach((w, i) => {
        results[w.index] = this.admit(w, again[i]!);
      });
      ready.length = 0;
    }
    for (const w of ready)
      results[w.index] = this.reject(new MempoolError('CHAIN_BUSY', 'retry later'), w.txid);
    return results as MempoolAddResult[];
  }

  private admit(w: Ready, spent: readonly (UtxoEntry | undefined)[]): MempoolAddResult {
    try {
      const missing = spent.indexOf(undefined);
      if (missing >= 0) throw new MempoolError('MISSING_INPUT', `input ${missing} is unknown or spent`);
      const fee = checkSpends(w.tx, spent);
      // Keep the bytes to serve unless they carry more than a protobuf's own overhead (unknown
      // fields): peers then get the canonical encoding instead of someone's padding.
      const lean = w.bytes.length <= w.size + 16 * (2 + w.tx.inputs.length + w.tx.outputs.length);
      const entry = this.insert({
        txid: w.txid,
        tx: w.tx,
        size: w.size,
        fee,
        ...(lean ? { bytes: w.bytes } : {}),
      });
      return { ok: true, txid: w.txid, entry };
    } catch (err) {
      if (err instanceof ConsensusError || err instanceof MempoolError) return this.reject(err, w.txid);
      throw err;
    }
  }
}
