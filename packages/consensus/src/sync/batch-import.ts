import type { SyncTarget } from '../chain/sync-target.js';
import { CONSENSUS_ERROR_ACTIONS, isConsensusError } from '../errors.js';
import type { Batch } from './batch.js';

/** How importing one batch ended; `height` is the target's tip afterwards. */
export type ImportResult =
  | { readonly kind: 'ok'; readonly height: number }
  /** The tip is below the batch (the chain manager reorged meanwhile): restart from it. */
  | { readonly kind: 'restart'; readonly height: number }
  /** A block broke a consensus rule: the blocks before it stay imported. */
  | { readonly kind: 'invalid'; readonly height: number; readonly code: string; readonly message: string }
  /** The target failed for a reason that is not the block's (storage, a bug). */
  | { readonly kind: 'fatal'; readonly height: number; readonly message: string; readonly error: unknown };

/**
 * Hands a downloaded batch to the target, in order. Blocks at or below the tip (imported
 * meanwhile, e.g. from gossip) are skipped. Never throws.
 */
export async function importBatch(target: SyncTarget, b: Batch, peer: string): Promise<ImportResult> {
  const before = target.tip().height;
  if (b.start > before + 1) return { kind: 'restart', height: before };
  const blocks = b.start <= before ? b.blocks!.slice(before + 1 - b.start) : b.blocks!;
  try {
    if (blocks.length > 0) await target.importBlocks(blocks, peer);
    return { kind: 'ok', height: target.tip().height };
  } catch (error) {
    const height = target.tip().height;
    const message = `${b.start}..${b.end}: ${error instanceof Error ? error.message : String(error)}`;
    const code = consensusCode(error);
    return code === undefined
      ? { kind: 'fatal', height, message, error }
      : { kind: 'invalid', height, code, message };
  }
}

/** The consensus code of an import error, or undefined when it is not a rule violation. */
function consensusCode(error: unknown): string | undefined {
  if (isConsensusError(error)) return error.code;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && Object.hasOwn(CONSENSUS_ERROR_ACTIONS, code) ? code : undefined;
}
