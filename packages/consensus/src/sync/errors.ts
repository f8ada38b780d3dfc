import type { ErrorActionRule } from '@tc/registry';

/**
 * Errors of range sync. `SyncError` is what `RangeSync.syncTo` rejects with; the
 * `SYNC_ERROR_ACTIONS` codes are what sync reports to the registry about a peer (merged into
 * `CONSENSUS_ERROR_ACTIONS`, so a registry built with that table knows them).
 */

/** What one `syncTo` call achieved (also carried, partial, by a SyncError). */
export interface SyncOutcome {
  /** Local tip height when the sync started. */
  readonly fromHeight: number;
  /** Local tip height when it ended. */
  readonly toHeight: number;
  /** Highest height the peers claimed (the goal). */
  readonly targetHeight: number;
  /** Blocks imported by this sync. */
  readonly imported: number;
  readonly durationMs: number;
  /** Batches imported. */
  readonly batches: number;
  /** Batch attempts that failed and were retried (download or import). */
  readonly retries: number;
  /** Node ids of the peers whose batches were imported. */
  readonly peersUsed: readonly string[];
}

export type SyncErrorCode =
  /** `syncTo` was called while another sync is running. */
  | 'ALREADY_SYNCING'
  /** The caller's AbortSignal fired, or `close()` was called. */
  | 'ABORTED'
  /** No connected peer that has not already failed a batch claims the heights still missing. */
  | 'NO_USEFUL_PEERS'
  /** One batch failed `maxAttemptsPerBatch` times. */
  | 'BATCH_FAILED'
  /** The target failed in a way that is not a peer's fault (storage, a bug): sync stops. */
  | 'IMPORT_FAILED';

export class SyncError extends Error {
  readonly code: SyncErrorCode;
  /** How far the sync got before it stopped. */
  readonly outcome: SyncOutcome | undefined;
  constructor(code: SyncErrorCode, message: string, outcome?: SyncOutcome, options?: { cause?: unknown }) {
    super(`${code}: ${message}`);
    this.name = 'SyncError';
    this.code = code;
    this.outcome = outcome;
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/** Codes sync reports to `registry.reportPeer` (besides consensus codes and REQUEST_TIMEOUT). */
export const SYNC_PEER_CODES = [
  'SYNC_EMPTY_BATCH',
  'SYNC_SHORT_BATCH',
  'SYNC_BAD_BATCH',
  'SYNC_STALLED',
  'SYNC_UNSERVED',
] as const;
export type SyncPeerCode = (typeof SYNC_PEER_CODES)[number];

/**
 * Peer actions of the sync codes. An empty or short answer from a peer whose announced height
 * covers the range is suspect but can be honest (it pruned, it reorged): a mid penalty, and the
 * range goes to another peer. Blocks that are not the range asked for are a broken or lying
 * peer: disconnect. A stall is scored like a timeout, and only when our own loop did not lag.
 */
export const SYNC_ERROR_ACTIONS: Readonly<Record<SyncPeerCode, ErrorActionRule>> = {
  SYNC_EMPTY_BATCH: {
    action: 'score',
    scoreDelta: -5,
    description: 'answered a block range its announced height covers with no blocks',
  },
  SYNC_SHORT_BATCH: {
    action: 'score',
    scoreDelta: -5,
    description: 'answered a block range its announced height covers with fewer blocks than asked',
  },
  SYNC_BAD_BATCH: {
    action: 'disconnect',
    scoreDelta: -20,
    description: 'answered a block range with blocks at other heights, unlinked, or more than asked',
  },
  SYNC_STALLED: {
    action: 'score',
    scoreDelta: -2,
    description: 'held the batch that blocks sync progress for stallTimeoutMs (excused while we lag)',
  },
  // A lying tip: claim a far height, answer NOT_FOUND for it, and stall whoever follows.
  SYNC_UNSERVED: {
    action: 'disconnect',
    scoreDelta: -20,
    description: 'answered NOT_FOUND for a block range within the height it announced: its claim is dropped',
  },
};
