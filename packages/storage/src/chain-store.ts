import { heightKey } from './bytes.js';
import { applyBlock } from './commit.js';
import { mapEngineError } from './error-map.js';
import { InvalidRollbackError, StoreClosedError } from './errors.js';
import type { KvEngine } from './kv-engine.js';
import type { StorageLimits } from './limits.js';
import type { DirectoryLock } from './lock-file.js';
import { readTip } from './meta.js';
import { PeerBook } from './peer-book.js';
import {
  type Block,
  decodeStoredBlock,
  isHeight,
  readBlocks,
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
} from './records.js';
import { undoTipBlock } from './rollback.js';
import type {
  BanRecord,
  ChainTip,
  CommitBlockInput,
  Outpoint,
  PeerRecord,
  RolledBackBlock,
  StoredBlock,
  StoredHeader,
  StoreStats,
  TxLocation,
  Utxo,
} from './types.js';

export interface ChainStoreContext {
  readonly path: string;
  readonly networkId: string;
  readonly genesisHash: Uint8Array;
  readonly limits: StorageLimits;
  readonly now: () => number;
  readonly engine: KvEngine;
  readonly lock: DirectoryLock;
}

/**
 * The node's chain state. Every method is synchronous except `close`; every write is one
 * atomic, durable engine transaction. Failures are typed StorageErrors (see README).
 * Bans and the address book are methods of the store itself (structural interface for @tc/registry).
 */
export class ChainStore {
  readonly path: string;
  readonly networkId: string;
  readonly genesisHash: Uint8Array;
  readonly limits: StorageLimits;
  private readonly engine: KvEngine;
  private readonly lock: DirectoryLock;
  private readonly book: PeerBook;
  private closing: Promise<void> | undefined;

  constructor(ctx: ChainStoreContext) {
    this.path = ctx.path;
    this.networkId = ctx.networkId;
    this.genesisHash = ctx.genesisHash;
    this.limits = ctx.limits;
    this.engine = ctx.engine;
    this.lock = ctx.lock;
    this.book = new PeerBook((fn) => this.engine.write(fn), this.engine, ctx.limits, ctx.now);
  }

  /** Engine name ('lmdb'). */
  get engineKind(): string {
    return this.engine.kind;
  }

  get closed(): boolean {
    return this.closing !== undefined;
  }

  // ------------------------------------------------------------------ chain writes

  /**
   * Appends one block: block bytes, header, height index, tx index, UTXO changes, undo record and
   * the new tip, in one synchronous transaction that is fsynced before this returns. Throws
   * InvalidCommitError (and writes nothing) on a bad height, prevHash, genesis or a missing UTXO.
   */
  commitBlock(input: CommitBlockInput): ChainTip {
    return this.guard(() => {
      this.engine.write((tx) => applyBlock(tx, input, this.genesisHash));
      return { height: input.height, hash: input.hash };
    });
  }

  /**
   * Undoes blocks above `height`, tip first, one transaction per block. Returns the removed
   * blocks, highest first. If it fails part-way, the store is consistent at an intermediate tip.
   */
  rollbackTo(height: number): RolledBackBlock[] {
    return this.guard(() => {
      const tip = readTip(this.engine);
      if (!Number.isSafeInteger(height) || height < 0) throw new InvalidRollbackError(`height ${height}`);
      if (tip === undefined || height > tip.height) {
        throw new InvalidRollbackError(`height ${height} is above the tip ${tip?.height ?? 'none'}`);
      }
      const removed: RolledBackBlock[] = [];
      for (let h = tip.height; h > height; h--) removed.push(this.engine.write((tx) => undoTipBlock(tx)));
      return removed;
    });
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
    return this.guard(() =>
      this.engine.read((r) => outpoints.map((op) => r.getWith('utxos', outpointLookupKey(op), decodeUtxo))),
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

  // ------------------------------------------------------------------ bans and address book

  listBans(): BanRecord[] {
    return this.guard(() => this.book.listBans());
  }
  putBan(record: BanRecord): void {
    this.guard(() => this.book.putBan(record));
  }
  deleteBan(key: string): void {
    this.guard(() => this.book.deleteBan(key));
  }
  /** Deletes expired bans (also done on open); returns how many. */
  pruneExpiredBans(): number {
    return this.guard(() => this.book.pruneExpiredBans());
  }
  listPeers(): PeerRecord[] {
    return this.guard(() => this.book.listPeers());
  }
  putPeer(record: PeerRecord): void {
    this.guard(() => this.book.putPeer(record));
  }
  deletePeer(address: string): void {
    this.guard(() => this.book.deletePeer(address));
  }

  // ------------------------------------------------------------------ lifecycle

  /**
   * Closes the engine and releases the directory lock. Idempotent (every call returns the same
   * promise); bounded by `limits.closeTimeoutMs`. Calls after `close()` throw StoreClosedError.
   */
  close(): Promise<void> {
    this.closing ??= closeBounded(this.engine, this.limits.closeTimeoutMs).finally(() => this.lock.release());
    return this.closing;
  }

  private guard<T>(fn: () => T): T {
    if (this.closing !== undefined) throw new StoreClosedError();
    try {
      return fn();
    } catch (error) {
      throw mapEngineError(error, this.path);
    }
  }
}

async function closeBounded(engine: KvEngine, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
    timer.unref();
  });
  try {
    await Promise.race([engine.close().catch(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
