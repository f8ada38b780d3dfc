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
  /** Blocks sent to the pool at once. */
  readonly statelessBatch: number;
  /** The canonical tip (the parent of the first block). */
  readonly tip: HeaderRef;
  readonly genesis: GenesisConfig;
  /** Clock for the timestamp rules. */
  readonly now: () => number;
  validateStateless(bytes: Uint8Array): Promise<StatelessBlockResult>;
  /** Writes consecutive valid blocks in one storage transaction and announces them. */
  commit(blocks: readonly ConnectedBlock[]): void;
}

/**
 * Validates consecutive blocks on top of the tip and commits the valid ones in batches:
 * stateless rules in the pool (slices of `statelessBatch`; the next slice is sent while the
 * current one is checked, so at most two slices are in flight), stateful rules in order against an
 * overlay of the tip's UTXO set (block k+1 sees block k's changes before either is written),
 * then one `commit` per at most `store.limits.maxBatchBlocks` blocks. On the first invalid
 * block, the valid blocks before it are committed and its error is thrown. Returns how many
 * blocks were committed.
 */
export async function importBatch(ctx: ImportBatchContext, blocks: readonly Uint8Array[]): Promise<number> {
  let imported = 0;
  let valid: ConnectedBlock[] = [];
  let overlay = new ForkUtxoOverlay(ctx.store);
  const flush = () => {
    if (valid.length === 0) return;
    const batch = valid;
    valid = [];
    overlay = new ForkUtxoOverlay(ctx.store); // storage now holds what the overlay added
    ctx.commit(batch);
    imported += batch.length;
  };
  const maxPerCommit = Math.max(1, ctx.store.limits.maxBatchBlocks);
  const size = ctx.statelessBatch;
  const submit = (from: number) => {
    const pending = blocks.slice(from, from + size).map((bytes) => ctx.validateStateless(bytes));
    for (const p of pending) p.catch(() => undefined); // awaited below, in order
    return pending;
  };
  let parent = ctx.tip;
  let next = submit(0);
  try {
    for (let i = 0; i < blocks.length; i += size) {
      const slice = blocks.slice(i, i + size);
      // The pool works on the next slice while this one is checked statefully (≤ 2 slices in flight).
      const pending = next;
      next = i + size < blocks.length ? submit(i + size) : [];
      for (let j = 0; j < slice.length; j++) {
        const stateless = await pending[j]!;
        const block = decodeBlockData(slice[j]!);
        if (!bytesEqual(block.header.prevHash, parent.hash)) {
          flush(); // the tip is now `parent`, so this throws PARENT_NOT_TIP / UNKNOWN_PARENT
          parent = await resolveParent(ctx.view, block.header);
        }
        const plan = await validateBlockStateful({
          block,
          stateless,
          parent,
          utxos: overlay,
          genesis: ctx.genesis,
          nowMs: ctx.now(),
          blockBytes: slice[j]!,
        });
        overlay.apply(plan);
        valid.push({ block, plan });
        parent = { height: plan.height, hash: plan.hash, timestampMs: plan.timestampMs };
        if (valid.length >= maxPerCommit) flush();
      }
    }
  } catch (error) {
    flush(); // blocks before the invalid one stay imported
    throw error;
  }
  flush();
  return imported;
}
