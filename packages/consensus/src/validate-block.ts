import type { ChainStateView } from './chain-state.js';
import { type GenesisConfig, statelessParams } from './genesis.js';
import { type BlockData, decodeBlockData } from './model.js';
import { type BlockPlan, resolveParent, validateBlockStateful } from './stateful.js';
import type { StatelessBlockResult } from './stateless.js';
import type { StatelessValidator } from './stateless-validator.js';

export interface ValidatedBlock {
  readonly block: BlockData;
  readonly stateless: StatelessBlockResult;
  readonly plan: BlockPlan;
}

/**
 * Validates an encoded block that extends the tip of `view`: the stateless rules in the
 * validator (pool or inline), then the stateful rules on this thread. Throws a
 * StatelessValidationError or StatefulValidationError; resolves to the commit plan.
 * Nothing is written: the caller commits `plan` (and evicts it from the mempool).
 */
export async function validateBlock(args: {
  bytes: Uint8Array;
  validator: StatelessValidator;
  view: ChainStateView;
  genesis: GenesisConfig;
  nowMs?: number;
  expectedHash?: Uint8Array;
}): Promise<ValidatedBlock> {
  const { bytes, genesis } = args;
  const pending = args.validator.validateBlock(bytes, statelessParams(genesis), {
    expectedHash: args.expectedHash,
  });
  let block: BlockData | undefined;
  try {
    block = decodeBlockData(bytes); // overlaps with the worker; its error is reported by the worker
  } catch {
    block = undefined;
  }
  const stateless = await pending;
  if (!block) block = decodeBlockData(bytes);
  const parent = await resolveParent(args.view, block.header);
  const plan = await validateBlockStateful({
    block,
    stateless,
    parent,
    utxos: args.view,
    genesis,
    nowMs: args.nowMs ?? Date.now(),
    blockBytes: bytes,
  });
  return { block, stateless, plan };
}
