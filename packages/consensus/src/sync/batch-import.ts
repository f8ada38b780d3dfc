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

/** Most blocks handed to the target in one import (one storage commit when they are valid). */
export const MAX_IMPORT_RUN_BLOCKS = 256;

/** Downloaded blocks whose stateless checks may start before their import (SyncTarget.prevalidate). */
export const PREVALIDATE_AHEAD_BLOCKS = 768;

/**
 * Hands a run of consecutive downloaded batches to the target in one import, in order, so that
 * storage commits once per run instead of once per batch (the commit's fsync was a quarter of
 * a syncing node's main thread). Blocks at or below the tip (imported meanwhile, e.g. from
 * gossip) are skipped. The blocks are attributed to the run's first peer in the chain's events;
 * a failure names its height, so the caller blames the batch that held it. Never throws.
 */
export async function importRun(target: SyncTarget, run: readonly Batch[]): Promise<ImportResult> {
  const before = target.tip().height;
  const first = run[0]!;
  if (first.start > before + 1) return { kind: 'restart', height: before };
  const blocks: Uint8Array[] = [];
  for (const b of run) {
    const held = b.blocks!;
    blocks.push(...(b.start <= before ? held.slice(Math.min(held.length, before + 1 - b.start)) : held));
  }
  const last = run[run.length - 1]!;
  try {
    if (blocks.length > 0) await target.importBlocks(blocks, first.peer!);
    return { kind: 'ok', height: target.tip().height };
  } catch (error) {
    const height = target.tip().height;
    const message = `${first.start}..${last.end}: ${error instanceof Error ? error.message : String(error)}`;
    const code = consensusCode(error);
    return code === undefined
      ? { kind: 'fatal', height, message, error }
      : { kind: 'invalid', height, code, message };
  }
}

/** The head batch and the ready batches right after it, up to MAX_IMPORT_RUN_BLOCKS blocks. */
export function readyRun(batches: readonly Batch[]): Batch[] {
  const run: Batch[] = [];
  let blocks = 0;
  for (const b of batches) {
    if (b.state !== 'AwaitingProcessing') break;
    if (run.length > 0 && blocks + b.count > MAX_IMPORT_RUN_BLOCKS) break;
    run.push(b);
    blocks += b.count;
  }
  return run;
}

/**
 * Hands the target the downloaded batches within PREVALIDATE_AHEAD_BLOCKS blocks beyond the
 * batches being imported for their stateless checks, so the pool validates what comes next
 * while the current run is checked and committed. A batch still downloading is skipped, not
 * waited for: downloads from several peers finish out of order, and stopping at the first gap
 * left the pool idle half the time (the sync bench's profile).
 */
export function prevalidateAhead(batches: readonly Batch[], target: SyncTarget): void {
  if (!target.prevalidate) return;
  for (const b of prevalidateWindow(batches)) {
    if (b.state !== 'AwaitingProcessing' || b.prevalidated) continue;
    b.prevalidated = true;
    target.prevalidate(b.blocks!, b.start);
  }
}

/**
 * Whether `batch` lies in the prevalidation window: a downloading batch inside it may have its
 * blocks prevalidated as they stream in.
 */
export function withinPrevalidateWindow(batches: readonly Batch[], batch: Batch): boolean {
  for (const b of prevalidateWindow(batches)) if (b === batch) return true;
  return false;
}

/**
 * The batches beyond those being imported whose blocks, counted from the first, fit in
 * PREVALIDATE_AHEAD_BLOCKS (downloaded or not): the one window both prevalidation paths keep to.
 */
function* prevalidateWindow(batches: readonly Batch[]): Generator<Batch> {
  let ahead = 0;
  for (const b of batches) {
    if (b.state === 'Processing') continue;
    ahead += b.count;
    if (ahead > PREVALIDATE_AHEAD_BLOCKS) return;
    yield b;
  }
}

/** The consensus code of an import error, or undefined when it is not a rule violation. */
function consensusCode(error: unknown): string | undefined {
  if (isConsensusError(error)) return error.code;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && Object.hasOwn(CONSENSUS_ERROR_ACTIONS, code) ? code : undefined;
}
