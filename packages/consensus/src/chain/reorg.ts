import type { ChainStore, StoredBlock } from '@tc/storage';
import { bytesEqual, toHex } from '../bytes.js';
import { txid as computeTxid } from '../canonical.js';
import type { HeaderRef } from '../chain-state.js';
import { type GenesisConfig, statelessParams } from '../genesis.js';
import type { Mempool } from '../mempool.js';
import { type BlockData, decodeBlockData, encodeTransactionData, isCoinbase } from '../model.js';
import { type BlockPlan, validateBlockStateful } from '../stateful.js';
import type { StatelessValidator } from '../stateless-validator.js';
import { ChainError } from './chain-errors.js';
import { type ForkChoiceJustification, isBetterTip } from './fork-choice.js';
import {
  type BlockUndo,
  commitInputOf,
  ForkUtxoOverlay,
  headerRefOf,
  type StorageChainView,
} from './storage-view.js';

export interface ReorgContext {
  store: ChainStore;
  genesis: GenesisConfig;
  validator: StatelessValidator;
  mempool: Mempool;
  view: StorageChainView;
  nowMs: number;
  maxReorgDepth: number;
  /** Height of the finalized block: no branch may fork below it. */
  finalizedHeight: number;
  statelessBatch: number;
  tip: HeaderRef;
  setTip(tip: HeaderRef): void;
  /** Justification for fork choice (README 11); without it the higher chain simply wins. */
  justification?: ForkChoiceJustification | undefined;
  /** Undo data of recently connected blocks (by hash); storage's undo records otherwise. */
  undoOf?: (hash: Uint8Array) => BlockUndo | undefined;
}

export interface ReorgResult {
  readonly forkHeight: number;
  /** Blocks rolled back. */
  readonly depth: number;
  readonly oldTip: { readonly height: number; readonly hash: Uint8Array };
  readonly newTip: { readonly height: number; readonly hash: Uint8Array };
  /** Non-coinbase transactions of abandoned blocks that re-entered the mempool. */
  readonly returnedTxs: number;
  readonly connectedBlocks: readonly {
    readonly height: number;
    readonly hash: Uint8Array;
    readonly block: BlockData;
    readonly plan: BlockPlan;
  }[];
}

interface Abandoned {
  readonly stored: StoredBlock;
  readonly block: BlockData;
  readonly txids: readonly Uint8Array[];
}

/** Reads the canonical blocks above `forkHeight` (storage range reads stop at a byte bound). */
function readAbandoned(store: ChainStore, forkHeight: number, tipHeight: number): Abandoned[] {
  const out: Abandoned[] = [];
  let next = forkHeight + 1;
  while (next <= tipHeight) {
    const batch = store.getBlocks(next, tipHeight - next + 1);
    if (batch.length === 0) throw new Error(`block ${next} is missing from storage`);
    for (const stored of batch) {
      const block = decodeBlockData(stored.blockBytes);
      out.push({ stored, block, txids: block.txs.map((tx) => computeTxid(tx)) });
    }
    next += batch.length;
  }
  return out;
}

/**
 * Validates `branch` against the fork point and, if it is valid and beats the tip, switches
 * storage to it with one atomic `store.reorg` (rollback and commits in one transaction).
 * Failure guarantees:
 *
 * - any rule violation, a branch that does not connect or does not win, or a too-deep fork
 *   throws before storage is written, so storage is byte-identical to before;
 * - a storage failure during the switch (disk full, I/O, a refused commit) aborts that one
 *   transaction: storage is byte-identical to before (still on the old chain) and COMMIT_FAILED
 *   is thrown. A crash leaves storage wholly on the old chain or wholly on the new one.
 */
export async function switchBranch(
  ctx: ReorgContext,
  branch: readonly Uint8Array[],
  forkHeight: number,
): Promise<ReorgResult> {
  const { store, genesis } = ctx;
  const oldTip = ctx.tip;
  const depth = oldTip.height - forkHeight;
  if (branch.length === 0) throw new ChainError('BRANCH_NOT_BETTER', 'empty branch');
  if (!Number.isSafeInteger(forkHeight) || forkHeight < 0 || depth < 0) {
    throw new ChainError(
      'BRANCH_DOES_NOT_CONNECT',
      `fork height ${forkHeight} is above the tip ${oldTip.height}`,
    );
  }
  if (forkHeight < ctx.finalizedHeight) {
    throw new ChainError(
      'FINALIZED_CONFLICT',
      `the branch forks at ${forkHeight}, below the finalized block at ${ctx.finalizedHeight}`,
    );
  }
  if (depth > ctx.maxReorgDepth) {
    throw new ChainError('REORG_TOO_DEEP', `rolling back ${depth} blocks; the cap is ${ctx.maxReorgDepth}`);
  }
  const forkHash = store.getBlockHash(forkHeight)!;
  const forkRef = headerRefOf(store, forkHeight, forkHash);
  const abandoned = readAbandoned(store, forkHeight, oldTip.height);
  const overlay = new ForkUtxoOverlay(
    store,
    abandoned.map((a) => ({ block: a.block, hash: a.stored.hash, txids: a.txids })),
    ctx.undoOf,
  );

  // Validate the whole branch on the overlay: stateless in pool batches, stateful in order.
  const accepted: { block: BlockData; plan: BlockPlan }[] = [];
  let parent = forkRef;
  for (let i = 0; i < branch.length; i += ctx.statelessBatch) {
    const slice = branch.slice(i, i + ctx.statelessBatch);
    const pending = slice.map((bytes) => ctx.validator.validateBlock(bytes, statelessParams(genesis)));
    for (const p of pending) p.catch(() => undefined);
    for (let j = 0; j < slice.length; j++) {
      const stateless = await pending[j]!;
      const block = decodeBlockData(slice[j]!);
      if (i + j === 0 && !bytesEqual(block.header.prevHash, forkHash)) {
        throw new ChainError('BRANCH_DOES_NOT_CONNECT', `first block's parent is not ${toHex(forkHash)}`);
      }
      const plan = await validateBlockStateful({
        block,
        stateless,
        parent,
        utxos: overlay,
        genesis,
        nowMs: ctx.nowMs,
        blockBytes: slice[j]!,
      });
      overlay.apply(plan);
      accepted.push({ block, plan });
      parent = { height: plan.height, hash: plan.hash, timestampMs: plan.timestampMs };
    }
  }
  const why = whyNotBetter(ctx, forkHeight, accepted, oldTip, parent);
  if (why) throw new ChainError('BRANCH_NOT_BETTER', why);

  await applySwitch(ctx, forkHeight, accepted);
  ctx.setTip(parent);

  // Mempool: evict what the branch confirmed, then return still-valid abandoned transactions.
  for (const { plan } of accepted) ctx.mempool.removeForBlock(plan);
  const confirmed = new Set(accepted.flatMap(({ plan }) => plan.txs.map((t) => toHex(t.txid))));
  const returning = abandoned.flatMap(({ block, txids }) =>
    block.txs.filter((tx, i) => !isCoinbase(tx) && !confirmed.has(toHex(txids[i]!))),
  );
  let returnedTxs = 0;
  if (returning.length > 0) {
    const results = await ctx.mempool
      .addTransactions(
        returning.slice(0, ctx.mempool.maxCount).map((tx) => encodeTransactionData(tx)),
        { validator: ctx.validator, utxos: ctx.view, genesis },
      )
      .catch(() => []);
    returnedTxs = results.filter((r) => r.ok).length;
  }
  return {
    forkHeight,
    depth,
    oldTip: { height: oldTip.height, hash: oldTip.hash },
    newTip: { height: parent.height, hash: parent.hash },
    returnedTxs,
    connectedBlocks: accepted.map(({ block, plan }) => ({
      height: plan.height,
      hash: plan.hash,
      block,
      plan,
    })),
  };
}

/**
 * Fork choice between the old chain and the validated branch (README 11): the higher justified
 * checkpoint first, then height, then hash. Undefined when the branch wins, else the reason.
 */
function whyNotBetter(
  ctx: ReorgContext,
  forkHeight: number,
  accepted: readonly { plan: BlockPlan }[],
  oldTip: HeaderRef,
  newTip: HeaderRef,
): string | undefined {
  const j = ctx.justification;
  if (j) {
    const oldJ = j.highestJustifiedOn((h) => ctx.store.getBlockHash(h));
    const newJ = j.highestJustifiedOn((h) =>
      h <= forkHeight ? ctx.store.getBlockHash(h) : accepted[h - forkHeight - 1]?.plan.hash,
    );
    if (newJ.epoch > oldJ.epoch) return undefined;
    if (newJ.epoch < oldJ.epoch) {
      return `the branch holds justified epoch ${newJ.epoch}, ours ${oldJ.epoch} (${toHex(oldJ.hash).slice(0, 16)})`;
    }
  }
  if (isBetterTip(newTip, oldTip)) return undefined;
  return `branch tip ${newTip.height}/${toHex(newTip.hash)} does not beat ${oldTip.height}/${toHex(oldTip.hash)}`;
}

async function applySwitch(
  ctx: ReorgContext,
  forkHeight: number,
  accepted: readonly { block: BlockData; plan: BlockPlan }[],
): Promise<void> {
  const commits = accepted.map(({ block, plan }) => commitInputOf(block, plan));
  try {
    // Off the event loop: a switch rewrites whole blocks of UTXOs and stalled every socket.
    await ctx.store.reorgAsync({ toHeight: forkHeight, commits });
  } catch (error) {
    throw new ChainError(
      'COMMIT_FAILED',
      'the switch failed; storage is unchanged (still on the old chain)',
      {
        cause: error,
      },
    );
  }
}
