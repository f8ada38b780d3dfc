import { applyBlocks, applyReorg, checkBatchSize } from './batch.js';
import { ChainStoreReads } from './chain-reads.js';
import { applyBlock } from './commit.js';
import { mapEngineError } from './error-map.js';
import { InvalidRollbackError } from './errors.js';
import { assertAboveFinalized, FinalityRecords, type FinalityUpdate } from './finality-records.js';
import type { KvEngine, KvWriter } from './kv-engine.js';
import type { StorageLimits } from './limits.js';
import type { DirectoryLock } from './lock-file.js';
import { readTip } from './meta.js';
import { PeerBook } from './peer-book.js';
import { type PendingTxRecord, PendingTxs } from './pending-txs.js';
import { undoTipBlock } from './rollback.js';
import type { BanRecord, ChainTip, CommitBlockInput, PeerRecord, RolledBackBlock } from './types.js';

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
export class ChainStore extends ChainStoreReads {
  readonly networkId: string;
  readonly genesisHash: Uint8Array;
  private readonly lock: DirectoryLock;
  private readonly book: PeerBook;
  private readonly pending: PendingTxs;
  private readonly finality: FinalityRecords;

  constructor(ctx: ChainStoreContext) {
    super(ctx.path, ctx.limits, ctx.engine);
    this.networkId = ctx.networkId;
    this.genesisHash = ctx.genesisHash;
    this.lock = ctx.lock;
    this.book = new PeerBook((fn) => this.engine.write(fn), this.engine, ctx.limits, ctx.now);
    // Off the event loop like block commits, with the same guard and error mapping.
    const writeAsync = <T>(fn: (tx: KvWriter) => T) =>
      this.writeOffLoop(fn, () => this.guard(() => this.engine.write(fn)));
    this.pending = new PendingTxs(writeAsync, this.engine, ctx.limits);
    this.finality = new FinalityRecords(writeAsync, this.engine, ctx.limits);
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
   * Appends several consecutive blocks in ONE synchronous transaction, fsynced once before this
   * returns: all of them are kept, or none. Each input is checked and applied exactly as by
   * `commitBlock`, in order (block k+1 sees block k's UTXO changes). A refused input throws
   * InvalidCommitError with its `blockIndex`, and nothing of the batch is written. Returns the new
   * tip. 1..`limits.maxBatchBlocks` inputs (RangeError otherwise).
   */
  commitBlocks(inputs: readonly CommitBlockInput[]): ChainTip {
    checkBatchSize(inputs, this.limits, 1);
    return this.guard(() => this.engine.write((tx) => applyBlocks(tx, inputs, this.genesisHash))!);
  }

  /**
   * `commitBlocks` with the commit off the event loop (the engine's `writeAsync`; engines
   * without one commit synchronously). Resolves with the new tip once the batch is durable;
   * until then reads see the store as before. The same checks and errors, as a rejection.
   */
  async commitBlocksAsync(inputs: readonly CommitBlockInput[]): Promise<ChainTip> {
    checkBatchSize(inputs, this.limits, 1);
    return this.writeOffLoop(
      (tx) => applyBlocks(tx, inputs, this.genesisHash)!,
      () => this.commitBlocks(inputs),
    );
  }

  /**
   * Switches branches atomically: undoes the blocks above `toHeight` (as `rollbackTo`) and applies
   * `commits` (as `commitBlocks`) in ONE synchronous transaction, fsynced once before this
   * returns. Any failure (InvalidRollbackError, InvalidCommitError with the commit's `blockIndex`,
   * an engine error) aborts it: the store stays byte-identical to before. At most
   * `limits.maxBatchBlocks` blocks undone (InvalidRollbackError) and committed (RangeError).
   * `commits` may be empty (an atomic rollback). Returns the new tip.
   */
  reorg(options: { toHeight: number; commits: readonly CommitBlockInput[] }): ChainTip {
    checkBatchSize(options?.commits, this.limits, 0);
    return this.guard(() =>
      this.engine.write((tx) =>
        applyReorg(tx, options.toHeight, options.commits, this.genesisHash, this.limits),
      ),
    );
  }

  /**
   * `reorg` with the commit off the event loop (as `commitBlocksAsync`): resolves with the new
   * tip once the switch is durable; until then reads see the old branch. Same checks and errors.
   */
  async reorgAsync(options: { toHeight: number; commits: readonly CommitBlockInput[] }): Promise<ChainTip> {
    checkBatchSize(options?.commits, this.limits, 0);
    return this.writeOffLoop(
      (tx) => applyReorg(tx, options.toHeight, options.commits, this.genesisHash, this.limits),
      () => this.reorg(options),
    );
  }

  /** `fn` through the engine's `writeAsync`, errors mapped as `guard` maps them; `sync` without one. */
  private async writeOffLoop<T>(fn: (tx: KvWriter) => T, sync: () => T): Promise<T> {
    const engine = this.engine;
    if (engine.writeAsync === undefined) return sync();
    try {
      return await this.guard(() => engine.writeAsync!(fn));
    } catch (error) {
      throw mapEngineError(error, this.path);
    }
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
      assertAboveFinalized(this.engine, height);
      const removed: RolledBackBlock[] = [];
      for (let h = tip.height; h > height; h--) removed.push(this.engine.write((tx) => undoTipBlock(tx)));
      return removed;
    });
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

  // ------------------------------------------------------------------ accepted transactions

  /**
   * Stores accepted transactions durably (all or none; the event turn's writes share one commit).
   * Throws PendingTxsFullError past `maxPendingTxs`, RangeError on a malformed record.
   */
  putPendingTxsAsync(records: readonly PendingTxRecord[]): Promise<void> {
    return this.pending.put(records);
  }

  /** Deletes accepted transactions by id (missing ids are ignored). */
  deletePendingTxsAsync(txids: readonly Uint8Array[]): Promise<void> {
    return this.pending.delete(txids);
  }

  /** Stored accepted transactions, in txid order (at most `limit`). */
  listPendingTxs(limit?: number): PendingTxRecord[] {
    return this.guard(() => this.pending.list(limit));
  }

  /** How many accepted transactions are stored. */
  get pendingTxCount(): number {
    return this.pending.count;
  }

  // ------------------------------------------------------------------ finality

  /** The finalized block (undefined until one past genesis is finalized). */
  getFinalized(): ChainTip | undefined {
    return this.guard(() => this.finality.finalized());
  }

  /**
   * Moves the finalized block up, with its certificate, in one durable transaction.
   * InvalidFinalityError (nothing written) for a block off the stored chain or below the
   * finalized one. From then on a rollback or reorg below it is refused (InvalidFinalityError).
   */
  setFinalizedAsync(update: FinalityUpdate): Promise<void> {
    return this.finality.setFinalized(update);
  }

  /** The finality certificate stored for the block at `height` (consensus encoding). */
  getCertificate(height: number): Uint8Array | undefined {
    return this.guard(() => this.finality.certificate(height));
  }

  /** Certificates stored for heights [start, start + count), in height order. */
  getCertificates(start: number, count: number): { height: number; bytes: Uint8Array }[] {
    if (!Number.isSafeInteger(start) || start < 0 || !Number.isSafeInteger(count) || count < 0)
      throw new RangeError(`certificates ${start} + ${count}`);
    if (count > this.limits.maxRangeCount)
      throw new RangeError(`${count} certificates; the limit is ${this.limits.maxRangeCount}`);
    return this.guard(() => this.finality.certificates(start, count));
  }

  /** The validator's last-vote guard (slashing protection), opaque bytes of consensus. */
  getVoteGuard(): Uint8Array | undefined {
    return this.guard(() => this.finality.voteGuard());
  }

  /** Stores the vote guard durably: resolves only once it is fsynced. */
  setVoteGuardAsync(bytes: Uint8Array): Promise<void> {
    return this.finality.setVoteGuard(bytes);
  }

  /** Stores equivocation evidence under `key` (false if already stored); EvidenceFullError past `maxEvidence`. */
  putEvidenceAsync(key: Uint8Array, bytes: Uint8Array): Promise<boolean> {
    return this.finality.putEvidence(key, bytes);
  }

  /** Stored evidence, in key order (at most `limit`). */
  listEvidence(limit = 1_000): Uint8Array[] {
    return this.guard(() => this.finality.listEvidence(limit));
  }

  get evidenceCount(): number {
    return this.finality.evidenceCount;
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
