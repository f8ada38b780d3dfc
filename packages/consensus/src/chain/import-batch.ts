import type { ChainStore } from '@tc/storage';
import { bytesEqual } from '../bytes.js';
import type { HeaderRef } from '../chain-state.js';
import type { GenesisConfig } from '../genesis.js';
import { type BlockData, decodeBlockData } from '../model.js';
import { type BlockPlan, resolveParent, validateBlockStateful } from '../stateful.js';
import type { StatelessBlockResult } from '../stateless.js';
import { ForkUtxoOverlay, type StorageChainView } from './storage-view.js';

/** A block that passed every rule, with its plan. */
export interface ConnectedBlock {
  readonly block: BlockData;
  readonly plan: BlockPlan;
}

export interface ImportBatchContext {
  readonly store: ChainStore;
  readonly view: StorageChainView;
  /** Blocks in the pool at once, ahead of the stateful checks. */
  readonly window: number;
  /** The canonical tip (the parent of the first block). */
  readonly tip: HeaderRef;
  readonly genesis: GenesisConfig;
  /** Clock for the timestamp rules. */
  readonly now: () => number;
  /** `height`: where the block should land (its order in the pool's queue; a hint, not a rule). */
  validateStateless(bytes: Uint8Array, height: number): Promise<StatelessBlockResult>;
  /**
   * Writes consecutive valid blocks in one storage transaction and announces them. Off the
   * event loop: the fsync would otherwise stall every socket (downloads, peers) while it runs.
   */
  commit(blocks: readonly ConnectedBlock[]): Promise<void>;
}

/**
 * Validates consecutive blocks on top of the tip and commits the valid ones in batches:
 * stateless rules in the pool, `window` blocks ahead of the stateful checks (a sliding window:
 * the pool keeps working while this thread checks blocks in order and while a commit's fsync
 * runs; two slices of 8 had left the worker idle two thirds of a sync), stateful rules in
 * order against an overlay of the tip's UTXO set (block k+1 sees block k's changes before
 * either is written), then one `commit` per at most `store.limits.maxBatchBlocks` blocks. On
 * the first invalid block, the valid blocks before it are committed and its error is thrown.
 * Returns how many blocks were committed.
 */
export async function importBatch(ctx: ImportBatchContext, blocks: readonly Uint8Array[]): Promise<number> {
  let imported = 0;
  let valid: ConnectedBlock[] = [];
  let overlay = new ForkUtxoOverlay(ctx.store);
  const flush = async () => {
    if (valid.length === 0) return;
    const batch = valid;
    valid = [];
    await ctx.commit(batch);
    overlay = new ForkUtxoOverlay(ctx.store); // storage now holds what the overlay added
    imported += batch.length;
  };
  const maxPerCommit = Math.max(1, ctx.store.limits.maxBatchBlocks);
  const window = Math.max(1, ctx.window);
  const pending: (Promise<StatelessBlockResult> | undefined)[] = [];
  let submitted = 0;
  const topUp = (upTo: number) => {
    for (const end = Math.min(blocks.length, upTo); submitted < end; submitted++) {
      const p = ctx.validateStateless(blocks[submitted]!, ctx.tip.height + 1 + submitted);
      p.catch(() => undefined); // awaited below, in order
      pending[submitted] = p;
    }
  };
  let parent = ctx.tip;
  topUp(window);
  try {
    for (let i = 0; i < blocks.length; i++) {
      const stateless = await pending[i]!;
      pending[i] = undefined;
      topUp(i + 1 + window);
      const block = decodeBlockData(blocks[i]!);
      if (!bytesEqual(block.header.prevHash, parent.hash)) {
        await flush(); // the tip is now `parent`, so this throws PARENT_NOT_TIP / UNKNOWN_PARENT
        parent = await resolveParent(ctx.view, block.header);
      }
      const plan = await validateBlockStateful({
        block,
        stateless,
        parent,
        utxos: overlay,
        genesis: ctx.genesis,
        nowMs: ctx.now(),
        blockBytes: blocks[i]!,
      });
      overlay.apply(plan);
      valid.push({ block, plan });
      parent = { height: plan.height, hash: plan.hash, timestampMs: plan.timestampMs };
      if (valid.length >= maxPerCommit) await flush();
    }
  } catch (error) {
    await flush(); // blocks before the invalid one stay imported
    throw error;
  }
  await flush();
  return imported;
}
