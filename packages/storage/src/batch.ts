import { applyBlock } from './commit.js';
import { InvalidCommitError, InvalidRollbackError } from './errors.js';
import { assertAboveFinalized } from './finality-records.js';
import type { KvWriter } from './kv-engine.js';
import type { StorageLimits } from './limits.js';
import { readTip } from './meta.js';
import { undoTipBlock } from './rollback.js';
import type { ChainTip, CommitBlockInput } from './types.js';

/** Refuses a batch that is not an array of 1..maxBatchBlocks inputs (RangeError; nothing written). */
export function checkBatchSize(
  inputs: readonly CommitBlockInput[],
  limits: StorageLimits,
  min: number,
): void {
  if (!Array.isArray(inputs)) throw new RangeError('the blocks must be an array');
  if (inputs.length < min || inputs.length > limits.maxBatchBlocks) {
    throw new RangeError(`${inputs.length} blocks; a batch holds ${min} to ${limits.maxBatchBlocks}`);
  }
}

/**
 * Applies `inputs` in order inside the caller's write transaction (each exactly as `commitBlock`
 * would). A refused input throws InvalidCommitError naming its index; the caller's transaction
 * is then aborted, so nothing of the batch is kept.
 */
export function applyBlocks(
  tx: KvWriter,
  inputs: readonly CommitBlockInput[],
  genesisHash: Uint8Array,
): ChainTip | undefined {
  inputs.forEach((input, i) => {
    try {
      applyBlock(tx, input, genesisHash);
    } catch (error) {
      if (error instanceof InvalidCommitError) throw new InvalidCommitError(error.reason, error.detail, i);
      throw error;
    }
  });
  const last = inputs[inputs.length - 1];
  return last === undefined ? undefined : { height: last.height, hash: last.hash };
}

/**
 * Rolls back to `toHeight` and applies `commits`, inside the caller's write transaction: the
 * whole switch is one transaction, so it is kept entirely or not at all.
 */
export function applyReorg(
  tx: KvWriter,
  toHeight: number,
  commits: readonly CommitBlockInput[],
  genesisHash: Uint8Array,
  limits: StorageLimits,
): ChainTip {
  if (!Number.isSafeInteger(toHeight) || toHeight < 0) throw new InvalidRollbackError(`height ${toHeight}`);
  const tip = readTip(tx);
  if (tip === undefined || toHeight > tip.height) {
    throw new InvalidRollbackError(`height ${toHeight} is above the tip ${tip?.height ?? 'none'}`);
  }
  if (tip.height - toHeight > limits.maxBatchBlocks) {
    throw new InvalidRollbackError(
      `a reorg to ${toHeight} undoes ${tip.height - toHeight} blocks; the limit is ${limits.maxBatchBlocks}`,
    );
  }
  assertAboveFinalized(tx, toHeight);
  for (let h = tip.height; h > toHeight; h--) undoTipBlock(tx);
  const last = applyBlocks(tx, commits, genesisHash);
  if (last !== undefined) return last;
  const after = readTip(tx);
  if (after === undefined) throw new InvalidRollbackError('the chain is empty after the rollback');
  return after;
}
