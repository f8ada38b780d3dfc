import { EventEmitter } from 'node:events';
import { type ChainStore, InvalidCommitError } from '@tc/storage';
import { bytesEqual } from '../bytes.js';
import { headerHash } from '../canonical.js';
import type { HeaderRef } from '../chain-state.js';
import { ConsensusError } from '../errors.js';
import { type GenesisConfig, genesisHash } from '../genesis.js';
import type { Mempool } from '../mempool.js';
import { type BlockData, decodeBlockData, decodeBlockHeaderData } from '../model.js';
import { type BlockPlan, resolveParent, validateBlockStateful } from '../stateful.js';
import type { StatelessBlockResult } from '../stateless.js';
import type { StatelessValidator } from '../stateless-validator.js';
import { ChainJobs } from './chain-jobs.js';
import type {
  AcceptOutcome,
  BlockSource,
  ChainManagerEvents,
  ChainManagerOptions,
  OnValid,
} from './chain-types.js';
import type { ForkChoiceJustification, JustifiedCheckpoint } from './fork-choice.js';
import { type ConnectedBlock, importBatch } from './import-batch.js';
import { type ReorgResult, switchBranch } from './reorg.js';
import { StatelessChecks } from './stateless-checks.js';
import { commitInputOf, genesisCommitInput, StorageChainView } from './storage-view.js';
import type { SyncTarget } from './sync-target.js';
import { UndoMemory } from './undo-memory.js';

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
  private readonly jobs: ChainJobs;
  private readonly statelessBatch: number;
  private readonly importWindow: number;
  private readonly checks: StatelessChecks;
  private tipRef: HeaderRef;
  /** Undo data of the last few blocks connected (undo-memory.ts). */
  private readonly undo = new UndoMemory();
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
    this.jobs = new ChainJobs(options.maxQueue ?? 64, options.maxQueuedBytes ?? 32 * 1024 * 1024);
    this.statelessBatch = Math.max(1, options.statelessBatch ?? 8);
    this.importWindow = Math.max(1, options.importWindow ?? 64);
    this.view = new StorageChainView(this.store);
    this.checks = new StatelessChecks(this.validator, this.genesis, () => this.jobs.isStopped);
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
    return this.jobs.pending;
  }

  /** Refuses new jobs; resolves when the running and queued ones have settled. */
  stop(): Promise<void> {
    return this.jobs.stop();
  }

  /**
   * SyncTarget: starts the pool's stateless checks of blocks that `importBlocks` will get soon
   * (downloaded, waiting behind the running import), so the pool keeps working while an
   * import's stateful checks and commit run; `importBlocks` takes the results by the block's
   * bytes object. The caller bounds how many are started (RangeSync: a window ahead of the
   * import); results never taken are dropped with their bytes (a WeakMap). `startHeight`, the
   * first block's height, orders them in the pool's queue (lower first).
   */
  prevalidate(blocks: readonly Uint8Array[], startHeight?: number): void {
    this.checks.prevalidate(blocks, startHeight);
  }

  /**
   * SyncTarget: imports consecutive blocks on top of the tip (see sync-target.ts). The valid
   * blocks are written with ONE `store.commitBlocks` (one fsynced transaction; see
   * import-batch.ts); on the first invalid block, the blocks before it are committed, then its
   * error is thrown.
   */
  importBlocks(blocks: readonly Uint8Array[], fromPeer: string): Promise<{ imported: number }> {
    return this.jobs.run(async () => {
      let start = 0;
      // Blocks we already have (an announcement raced the sync) are skipped, not refused.
      while (start < blocks.length && this.isCanonical(blocks[start]!)) start++;
      const imported = await importBatch(
        {
          store: this.store,
          view: this.view,
          window: this.importWindow,
          tip: this.tipRef,
          validateStateless: (bytes, height) => this.checks.forImport(bytes, height),
          genesis: this.genesis,
          now: this.now,
          commit: (batch) => this.commitConnectedAsync(batch, 'sync', fromPeer),
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
  acceptAnnouncedBlock(bytes: Uint8Array, fromPeer?: string, onValid?: OnValid): Promise<AcceptOutcome> {
    const source: BlockSource = fromPeer === undefined ? 'local' : 'peer';
    return this.jobs
      .run(() => this.accept(bytes, source, fromPeer, onValid), bytes.length)
      .catch((error: unknown): AcceptOutcome => ({ status: 'dropped', error: error as Error }));
  }

  private async accept(
    bytes: Uint8Array,
    source: BlockSource,
    fromPeer?: string,
    onValid?: OnValid,
  ): Promise<AcceptOutcome> {
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
      const stateless = await this.checks.check(bytes);
      const plan = await this.connect(bytes, stateless, source, fromPeer, onValid);
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
    return this.jobs.run(async () => {
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
          undoOf: (hash) => this.undo.get(hash),
        },
        branch,
        forkHeight,
      );
      for (const c of result.connectedBlocks) this.undo.remember(c.plan);
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

  private isCanonical(bytes: Uint8Array): boolean {
    try {
      const header = decodeBlockHeaderData(bytes);
      const stored = this.store.getBlockHash(header.height);
      return stored !== undefined && bytesEqual(stored, headerHash(header));
    } catch {
      return false;
    }
  }

  /** Stateful rules against the tip, then the atomic commit, mempool eviction and event. */
  private async connect(
    bytes: Uint8Array,
    stateless: StatelessBlockResult,
    source: BlockSource,
    fromPeer: string | undefined,
    onValid?: OnValid,
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
    // Valid by every rule: relaying it need not wait for our fsync (one per hop).
    try {
      onValid?.(plan.hash, plan.height);
    } catch {
      // a relay failure is not the block's
    }
    await this.commitConnectedAsync([{ block, plan }], source, fromPeer);
    return plan;
  }

  /**
   * Writes validated consecutive blocks in one `commitBlocks` transaction, with the commit (and
   * its fsync) off the event loop, then per block: tip, undo memory, mempool eviction,
   * `block:connected`. A synchronous commit stalled every socket of the node (57 ms per
   * 1 500-transaction block; a quarter of a syncing node's main thread). The chain job waits
   * for it, so the tip, the mempool and every reader move only once the blocks are durable. If
   * storage refuses block k (a storage rule, not a consensus one), blocks < k are committed as
   * one-by-one commits would have, and the storage error is thrown.
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
      this.undo.remember(plan);
      this.mempool.removeForBlock(plan);
      this.emit('block:connected', { height: plan.height, hash: plan.hash, block, plan, source, fromPeer });
    }
  }
}
