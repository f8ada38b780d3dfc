import { EventEmitter } from 'node:events';
import { type ChainStore, InvalidCommitError } from '@tc/storage';
import { bytesEqual, toHex } from '../bytes.js';
import { headerHash } from '../canonical.js';
import type { HeaderRef } from '../chain-state.js';
import { ConsensusError } from '../errors.js';
import { type GenesisConfig, genesisHash, statelessParams } from '../genesis.js';
import type { Mempool } from '../mempool.js';
import { type BlockData, decodeBlockData, decodeBlockHeaderData } from '../model.js';
import type { StatelessValidator } from '../pool.js';
import { type BlockPlan, resolveParent, validateBlockStateful } from '../stateful.js';
import type { StatelessBlockResult } from '../stateless.js';
import { ChainError } from './chain-errors.js';
import type { ForkChoiceJustification, JustifiedCheckpoint } from './fork-choice.js';
import { type ConnectedBlock, importBatch } from './import-batch.js';
import { type ReorgResult, switchBranch } from './reorg.js';
import { type BlockUndo, commitInputOf, genesisCommitInput, StorageChainView } from './storage-view.js';
import type { SyncTarget } from './sync-target.js';

export interface ChainManagerOptions {
  store: ChainStore;
  genesis: GenesisConfig;
  /** Stateless validation (a ValidationPool, or InlineValidator in tools). */
  validator: StatelessValidator;
  mempool: Mempool;
  /** Clock for the timestamp rules (default Date.now). */
  now?: () => number;
  /** Most blocks a reorg may roll back (default 100). */
  maxReorgDepth?: number;
  /** Import/reorg jobs waiting behind the running one (default 64); more fail with QUEUE_FULL. */
  maxQueue?: number;
  /** Bytes of announced blocks waiting, not yet validated (default 32 MiB); more are dropped. */
  maxQueuedBytes?: number;
  /** Blocks of one import per pool slice (default 8); an import keeps at most two slices in the pool. */
  statelessBatch?: number;
}

export type BlockSource = 'local' | 'peer' | 'sync' | 'reorg';

export interface BlockConnectedEvent {
  readonly height: number;
  readonly hash: Uint8Array;
  readonly block: BlockData;
  readonly plan: BlockPlan;
  readonly source: BlockSource;
  readonly fromPeer: string | undefined;
}

export interface ReorgEvent extends ReorgResult {
  readonly fromPeer: string;
}

export interface ChainManagerEvents {
  'block:connected': [BlockConnectedEvent];
  reorg: [ReorgEvent];
}

/** Blocks whose undo data stays in memory, and the outputs they may hold in all (LIMITS.md). */
export const MEMORY_UNDO_BLOCKS = 8;
export const MEMORY_UNDO_OUTPUTS = 20_000;
/** What became of one announced (or locally produced) block. */
export type AcceptOutcome =
  | { readonly status: 'connected'; readonly height: number; readonly hash: Uint8Array }
  | { readonly status: 'duplicate'; readonly height: number; readonly hash: Uint8Array }
  /** Its parent is a main-chain block below the tip: a competing branch; fork choice decides. */
  | { readonly status: 'fork'; readonly height: number; readonly hash: Uint8Array }
  /** Its parent is unknown: we are behind or it is on a branch we lack; sync/fork check. */
  | { readonly status: 'unknown-parent'; readonly height: number; readonly hash: Uint8Array }
  | { readonly status: 'invalid'; readonly error: ConsensusError }
  /** Not judged (queue full, pool or storage failure): not the sender's fault. */
  | { readonly status: 'dropped'; readonly error: Error };

/**
 * Owns the canonical chain. Every write (import, announced block, local block, reorg) runs in
 * one single-flight queue, so two never interleave; the queue is bounded by `maxQueue`.
 * Blocks are validated statelessly in the pool, statefully against storage, then committed
 * atomically; the mempool evicts what they confirm.
 */
export class ChainManager extends EventEmitter<ChainManagerEvents> implements SyncTarget {
  readonly store: ChainStore;
  readonly genesis: GenesisConfig;
  readonly view: StorageChainView;
  readonly mempool: Mempool;
  readonly validator: StatelessValidator;
  readonly maxReorgDepth: number;
  private readonly now: () => number;
  private readonly maxQueue: number;
  private readonly maxQueuedBytes: number;
  private queuedBytes = 0;
  private readonly statelessBatch: number;
  private tipRef: HeaderRef;
  private tail: Promise<unknown> = Promise.resolve();
  private queued = 0;
  private stopped = false;
  /**
   * Undo data (spent outputs) of the last few blocks we connected, for the common shallow reorg;
   * deeper ones read storage's undo records. Bounded in blocks and in outputs: 116 full blocks
   * held ~230,000 decoded outputs, the largest live set on a loaded node's heap.
   */
  private readonly undo = new Map<string, BlockUndo>();
  private undoOutputs = 0;
  /** Height of the finalized block (README 15): reorgs never go below it. */
  private finalizedFloor = 0;
  private justification: ForkChoiceJustification | undefined;

  constructor(options: ChainManagerOptions) {
    super();
    this.store = options.store;
    this.genesis = options.genesis;
    this.validator = options.validator;
    this.mempool = options.mempool;
    this.now = options.now ?? Date.now;
    this.maxReorgDepth = options.maxReorgDepth ?? 100;
    this.finalizedFloor = options.store.getFinalized()?.height ?? 0;
    this.maxQueue = options.maxQueue ?? 64;
    this.maxQueuedBytes = options.maxQueuedBytes ?? 32 * 1024 * 1024;
    this.statelessBatch = Math.max(1, options.statelessBatch ?? 8);
    this.view = new StorageChainView(this.store);
    if (this.store.getTip() === undefined) this.store.commitBlock(genesisCommitInput(this.genesis));
    const stored = this.store.getBlockHash(0);
    if (!stored || !bytesEqual(stored, genesisHash(this.genesis))) {
      throw new Error('the store holds another genesis block');
    }
    this.tipRef = this.view.getTip();
  }

  /** Canonical tip. */
  tip(): { height: number; hash: Uint8Array } {
    return { height: this.tipRef.height, hash: this.tipRef.hash };
  }

  /** Canonical tip with its timestamp (the parent of the next block). */
  tipHeader(): HeaderRef {
    return this.tipRef;
  }

  /** Jobs waiting or running in the queue. */
  get pendingJobs(): number {
    return this.queued;
  }

  /** Refuses new jobs; resolves when the running and queued ones have settled. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.tail;
  }

  private enqueue<T>(job: () => Promise<T>, bytes = 0): Promise<T> {
    if (this.stopped) return Promise.reject(new ChainError('STOPPED', 'chain manager is stopped'));
    if (this.queued >= this.maxQueue) {
      return Promise.reject(new ChainError('QUEUE_FULL', `${this.queued} chain jobs pending`));
    }
    // Not-yet-validated block bytes waiting here are bounded too: past the budget the newcomer
    // is shed (dropped, never blamed: a later announcement or a range sync brings it again).
    if (bytes > 0 && this.queuedBytes + bytes > this.maxQueuedBytes) {
      return Promise.reject(new ChainError('QUEUE_FULL', `${this.queuedBytes} block bytes pending`));
    }
    this.queued++;
    this.queuedBytes += bytes;
    const run = this.tail.then(job).finally(() => {
      this.queued--;
      this.queuedBytes -= bytes;
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  /**
   * SyncTarget: imports consecutive blocks on top of the tip (see sync-target.ts). The valid
   * blocks are written with ONE `store.commitBlocks` (one fsynced transaction; see
   * import-batch.ts); on the first invalid block, the blocks before it are committed, then its
   * error is thrown.
   */
  importBlocks(blocks: readonly Uint8Array[], fromPeer: string): Promise<{ imported: number }> {
    return this.enqueue(async () => {
      let start = 0;
      // Blocks we already have (an announcement raced the sync) are skipped, not refused.
      while (start < blocks.length && this.isCanonical(blocks[start]!)) start++;
      const imported = await importBatch(
        {
          store: this.store,
          view: this.view,
          statelessBatch: this.statelessBatch,
          tip: this.tipRef,
          validateStateless: (bytes) => this.validateStateless(bytes),
          genesis: this.genesis,
          now: this.now,
          commit: (batch) => this.commitConnected(batch, 'sync', fromPeer),
        },
        blocks.slice(start),
      );
      return { imported };
    });
  }

  /**
   * Validates and connects a block announced by a peer (or produced locally with
   * `fromPeer` undefined). Never throws for the block's content; see AcceptOutcome.
   */
  acceptAnnouncedBlock(bytes: Uint8Array, fromPeer?: string): Promise<AcceptOutcome> {
    const source: BlockSource = fromPeer === undefined ? 'local' : 'peer';
    return this.enqueue(() => this.accept(bytes, source, fromPeer), bytes.length).catch(
      (error: unknown): AcceptOutcome => ({ status: 'dropped', error: error as Error }),
    );
  }

  private async accept(bytes: Uint8Array, source: BlockSource, fromPeer?: string): Promise<AcceptOutcome> {
    let header: BlockData['header'] | undefined;
    try {
      header = decodeBlockHeaderData(bytes);
    } catch {
      header = undefined; // the pool reports the precise code below
    }
    if (header) {
      const hash = headerHash(header);
      const known = this.store.getBlockHeight(hash);
      if (known !== undefined) return { status: 'duplicate', height: known, hash };
      if (!bytesEqual(header.prevHash, this.tipRef.hash)) {
        const parentHeight = this.store.getBlockHeight(header.prevHash);
        const status = parentHeight === undefined ? 'unknown-parent' : 'fork';
        return { status, height: header.height, hash };
      }
    }
    try {
      const stateless = await this.validateStateless(bytes);
      const plan = await this.connect(bytes, stateless, source, fromPeer);
      return { status: 'connected', height: plan.height, hash: plan.hash };
    } catch (error) {
      if (error instanceof ConsensusError) return { status: 'invalid', error };
      return { status: 'dropped', error: error as Error };
    }
  }

  /**
   * Switches to a side branch: `branch` are consecutive encoded blocks whose first extends
   * the main-chain block at `forkHeight`. The whole branch is validated against the UTXO set
   * of the fork point (an overlay; nothing written) before storage is touched; then the
   * blocks above the fork are rolled back and the branch committed. See reorg.ts.
   */
  reorg(branch: readonly Uint8Array[], forkHeight: number, fromPeer: string): Promise<ReorgResult> {
    return this.enqueue(async () => {
      const result = await switchBranch(
        {
          store: this.store,
          genesis: this.genesis,
          validator: this.validator,
          mempool: this.mempool,
          view: this.view,
          nowMs: this.now(),
          maxReorgDepth: this.maxReorgDepth,
          finalizedHeight: this.finalizedFloor,
          justification: this.justification,
          statelessBatch: this.statelessBatch,
          tip: this.tipRef,
          setTip: (tip) => {
            this.tipRef = tip;
          },
          undoOf: (hash) => this.undo.get(toHex(hash)),
        },
        branch,
        forkHeight,
      );
      for (const c of result.connectedBlocks) this.rememberUndo(c.plan);
      this.emit('reorg', { ...result, fromPeer });
      for (const c of result.connectedBlocks) {
        this.emit('block:connected', { ...c, source: 'reorg', fromPeer });
      }
      return result;
    });
  }

  /** The finalized height: from now on no reorg forks below it (it only moves up). */
  setFinalizedHeight(height: number): void {
    if (height > this.finalizedFloor) this.finalizedFloor = height;
  }

  get finalizedHeight(): number {
    return this.finalizedFloor;
  }

  /** Lets fork choice weigh justification (README 11); the finality service calls it once. */
  setJustification(justification: ForkChoiceJustification): void {
    this.justification = justification;
  }

  /** The highest justified checkpoint of the canonical chain (epoch 0, genesis, without finality). */
  justified(): JustifiedCheckpoint {
    return this.justification?.canonicalJustified() ?? { epoch: 0, hash: this.store.getBlockHash(0)! };
  }

  /** Whether the votes held prove `cp` justified (false without finality). */
  provesJustified(cp: JustifiedCheckpoint): boolean {
    return this.justification?.provesJustified(cp) ?? false;
  }

  private rememberUndo(plan: BlockPlan): void {
    const key = toHex(plan.hash);
    const old = this.undo.get(key);
    if (old) this.undoOutputs -= old.spentOutputs.length;
    this.undo.set(key, { spends: plan.spends, spentOutputs: plan.spentOutputs });
    this.undoOutputs += plan.spentOutputs.length;
    for (const [oldest, entry] of this.undo) {
      if (this.undo.size <= 1) break;
      if (this.undo.size <= MEMORY_UNDO_BLOCKS && this.undoOutputs <= MEMORY_UNDO_OUTPUTS) break;
      this.undo.delete(oldest);
      this.undoOutputs -= entry.spentOutputs.length;
    }
  }

  private isCanonical(bytes: Uint8Array): boolean {
    try {
      const header = decodeBlockHeaderData(bytes);
      const stored = this.store.getBlockHash(header.height);
      return stored !== undefined && bytesEqual(stored, headerHash(header));
    } catch {
      return false;
    }
  }

  private validateStateless(bytes: Uint8Array): Promise<StatelessBlockResult> {
    return this.validator.validateBlock(bytes, statelessParams(this.genesis));
  }

  /** Stateful rules against the tip, then the atomic commit, mempool eviction and event. */
  private async connect(
    bytes: Uint8Array,
    stateless: StatelessBlockResult,
    source: BlockSource,
    fromPeer: string | undefined,
  ): Promise<BlockPlan> {
    const block = decodeBlockData(bytes);
    const parent = bytesEqual(block.header.prevHash, this.tipRef.hash)
      ? this.tipRef
      : await resolveParent(this.view, block.header);
    const plan = await validateBlockStateful({
      block,
      stateless,
      parent,
      utxos: this.view,
      genesis: this.genesis,
      nowMs: this.now(),
      blockBytes: bytes,
    });
    await this.commitConnectedAsync([{ block, plan }], source, fromPeer);
    return plan;
  }

  /**
   * Writes validated consecutive blocks in one `commitBlocks` transaction, then per block: tip,
   * undo memory, mempool eviction, `block:connected`. If storage refuses block k (a storage
   * rule, not a consensus one), blocks < k are committed as one-by-one commits would have, and
   * the storage error is thrown.
   */
  private commitConnected(blocks: readonly ConnectedBlock[], source: BlockSource, fromPeer?: string): void {
    try {
      this.store.commitBlocks(blocks.map(({ block, plan }) => commitInputOf(block, plan)));
    } catch (error) {
      const k = error instanceof InvalidCommitError ? (error.blockIndex ?? 0) : 0;
      if (k > 0) this.commitConnected(blocks.slice(0, k), source, fromPeer);
      throw error;
    }
    this.connected(blocks, source, fromPeer);
  }

  /**
   * `commitConnected` with the commit (and its fsync) off the event loop, for blocks that
   * arrive one at a time (announced and produced): at 57 ms per 1 500-transaction block the
   * synchronous commit stalled every socket of the node. The chain job waits for it, so the tip,
   * the mempool and every reader move only once the block is durable.
   */
  private async commitConnectedAsync(
    blocks: readonly ConnectedBlock[],
    source: BlockSource,
    fromPeer?: string,
  ): Promise<void> {
    try {
      await this.store.commitBlocksAsync(blocks.map(({ block, plan }) => commitInputOf(block, plan)));
    } catch (error) {
      const k = error instanceof InvalidCommitError ? (error.blockIndex ?? 0) : 0;
      if (k > 0) await this.commitConnectedAsync(blocks.slice(0, k), source, fromPeer);
      throw error;
    }
    this.connected(blocks, source, fromPeer);
  }

  /** After a commit: tip, undo memory, mempool eviction and `block:connected`, per block. */
  private connected(blocks: readonly ConnectedBlock[], source: BlockSource, fromPeer?: string): void {
    for (const { block, plan } of blocks) {
      this.tipRef = { height: plan.height, hash: plan.hash, timestampMs: plan.timestampMs };
      this.rememberUndo(plan);
      this.mempool.removeForBlock(plan);
      this.emit('block:connected', { height: plan.height, hash: plan.hash, block, plan, source, fromPeer });
    }
  }
}
