import { DEFAULT_RECIPIENT_UTXOS, readBalance, readUtxosByRecipient } from './address-index.js';
import { heightKey } from './bytes.js';
import { mapEngineError } from './error-map.js';
import { StoreClosedError } from './errors.js';
import type { KvEngine } from './kv-engine.js';
import type { StorageLimits } from './limits.js';
import { readTip } from './meta.js';
import {
  type Block,
  decodeStoredBlock,
  isHeight,
  readBlocks,
  readBlockUndo,
  readHeaders,
  readStats,
  readTransaction,
  type Transaction,
} from './range-reads.js';
import {
  decodeHeaderEntry,
  decodeOutpointKey,
  decodeTxLocation,
  decodeUtxo,
  outpointLookupKey,
  RecipientArena,
} from './records.js';
import type { ChainTip, Outpoint, StoredBlock, StoredHeader, StoreStats, TxLocation, Utxo } from './types.js';

/**
 * The read half of `ChainStore` (see chain-store.ts for the writes and the lifecycle). Every
 * method is synchronous; multi-key reads run against one snapshot.
 */
/** Room per lookup in a batch's recipient arena (recipients are 32 bytes by consensus). */
const RECIPIENT_BYTES = 32;

export abstract class ChainStoreReads {
  readonly path: string;
  readonly limits: StorageLimits;
  protected readonly engine: KvEngine;
  protected closing: Promise<void> | undefined;

  protected constructor(path: string, limits: StorageLimits, engine: KvEngine) {
    this.path = path;
    this.limits = limits;
    this.engine = engine;
  }

  // ------------------------------------------------------------------ chain reads

  getTip(): ChainTip | undefined {
    return this.guard(() => readTip(this.engine));
  }

  /** Hash of the canonical block at `height`. */
  getBlockHash(height: number): Uint8Array | undefined {
    return this.guard(() => (isHeight(height) ? this.engine.get('heights', heightKey(height)) : undefined));
  }

  /** Height of a canonical block. */
  getBlockHeight(hash: Uint8Array): number | undefined {
    return this.guard(() => {
      const entry = this.engine.get('headers', hash);
      return entry === undefined ? undefined : decodeHeaderEntry(entry).height;
    });
  }

  /** Encoded block (as given to commitBlock). */
  getBlockBytes(hash: Uint8Array): Uint8Array | undefined {
    return this.guard(() => this.engine.get('blocks', hash));
  }

  getBlockBytesAt(height: number): Uint8Array | undefined {
    return this.guard(() =>
      this.engine.read((r) => {
        const hash = isHeight(height) ? r.get('heights', heightKey(height)) : undefined;
        return hash === undefined ? undefined : r.get('blocks', hash);
      }),
    );
  }

  /** Decoded block (`decodeBlock` from @tc/wire). */
  getBlock(hash: Uint8Array): Block | undefined {
    const bytes = this.getBlockBytes(hash);
    return bytes === undefined ? undefined : decodeStoredBlock(bytes);
  }

  getBlockAt(height: number): Block | undefined {
    const bytes = this.getBlockBytesAt(height);
    return bytes === undefined ? undefined : decodeStoredBlock(bytes);
  }

  /** Encoded BlockHeader of a stored block. */
  getHeaderBytes(hash: Uint8Array): Uint8Array | undefined {
    return this.guard(() => {
      const entry = this.engine.get('headers', hash);
      return entry === undefined ? undefined : decodeHeaderEntry(entry).headerBytes;
    });
  }

  /** Up to `count` canonical headers from `startHeight`, from one snapshot; stops at the tip. */
  getHeaders(startHeight: number, count: number): StoredHeader[] {
    return this.guard(() => this.engine.read((r) => readHeaders(r, startHeight, count, this.limits)));
  }

  /**
   * Up to `count` canonical blocks from `startHeight`, from one snapshot; stops at the tip or
   * once `limits.maxRangeBytes` are collected (always at least one block).
   */
  getBlocks(startHeight: number, count: number): StoredBlock[] {
    return this.guard(() => this.engine.read((r) => readBlocks(r, startHeight, count, this.limits)));
  }

  // ------------------------------------------------------------------ UTXO and tx reads

  getUtxo(outpoint: Outpoint): Utxo | undefined {
    // The hottest read: `guard` inlined by hand.
    if (this.closing !== undefined) throw new StoreClosedError();
    try {
      return this.engine.getWith('utxos', outpointLookupKey(outpoint), decodeUtxo);
    } catch (error) {
      throw mapEngineError(error, this.path);
    }
  }

  /** Batched lookup from one snapshot; result `i` answers `outpoints[i]`. */
  getUtxos(outpoints: readonly Outpoint[]): (Utxo | undefined)[] {
    if (outpoints.length > this.limits.maxBatchLookups) {
      throw new RangeError(`${outpoints.length} lookups; the limit is ${this.limits.maxBatchLookups}`);
    }
    const arena = new RecipientArena(outpoints.length * RECIPIENT_BYTES);
    const decode = (bytes: Uint8Array) => decodeUtxo(bytes, arena);
    return this.guard(() =>
      this.engine.read((r) => outpoints.map((op) => r.getWith('utxos', outpointLookupKey(op), decode))),
    );
  }

  /** Calls `fn` for every UTXO in outpoint order, from one snapshot; returns the count. */
  forEachUtxo(fn: (outpoint: Outpoint, utxo: Utxo) => void): number {
    return this.guard(() =>
      this.engine.read((r) => {
        let n = 0;
        for (const { key, value } of r.range('utxos')) {
          fn(decodeOutpointKey(key), decodeUtxo(value));
          n++;
        }
        return n;
      }),
    );
  }

  getTxLocation(txid: Uint8Array): TxLocation | undefined {
    return this.guard(() => {
      const value = this.engine.get('txs', txid);
      return value === undefined ? undefined : decodeTxLocation(value);
    });
  }

  /** A canonical transaction, decoded from its block, with its location. */
  getTransaction(txid: Uint8Array): { location: TxLocation; tx: Transaction } | undefined {
    return this.guard(() => this.engine.read((r) => readTransaction(r, txid)));
  }

  /** Entries per table. */
  stats(): StoreStats {
    return this.guard(() => this.engine.read(readStats));
  }

  // ------------------------------------------------------------------ address index and undo

  /**
   * Up to `limit` (default 1 000, at most `limits.maxBatchLookups`) UTXOs paid to `recipient`,
   * in outpoint order (txid, then vout), from one snapshot. Backed by the address index, which is
   * written in the same transaction as the UTXO set, so the answer is always consistent with it.
   */
  getUtxosByRecipient(
    recipient: Uint8Array,
    limit: number = DEFAULT_RECIPIENT_UTXOS,
  ): Array<{ outpoint: Outpoint; output: Utxo }> {
    if (!(recipient instanceof Uint8Array)) throw new RangeError('recipient must be a Uint8Array');
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > this.limits.maxBatchLookups) {
      throw new RangeError(`limit ${limit} must be an integer in [1, ${this.limits.maxBatchLookups}]`);
    }
    return this.guard(() => this.engine.read((r) => readUtxosByRecipient(r, recipient, limit)));
  }

  /** Sum of the values of every UTXO paid to `recipient`, from one snapshot (walks all of them). */
  getBalance(recipient: Uint8Array): bigint {
    if (!(recipient instanceof Uint8Array)) throw new RangeError('recipient must be a Uint8Array');
    return this.guard(() => this.engine.read((r) => readBalance(r, recipient)));
  }

  /**
   * The outputs a canonical block spent, in spend order (transactions in block order, inputs in
   * order; an output created earlier in the same block and spent in it is included), with their
   * values as they were before the spend. `undefined` when the block is not stored.
   */
  getBlockUndo(hash: Uint8Array): Array<{ outpoint: Outpoint; output: Utxo }> | undefined {
    return this.guard(() => readBlockUndo(this.engine, hash));
  }

  protected guard<T>(fn: () => T): T {
    if (this.closing !== undefined) throw new StoreClosedError();
    try {
      return fn();
    } catch (error) {
      throw mapEngineError(error, this.path);
    }
  }
}
