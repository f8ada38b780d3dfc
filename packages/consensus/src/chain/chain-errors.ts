import type { ErrorActionRule } from '@tc/registry';

/** Why the chain manager refused or failed a job (not a rule violation of one block). */
export type ChainErrorCode =
  /** More import/reorg jobs are waiting than `maxQueue`. */
  | 'QUEUE_FULL'
  /** The chain manager was stopped. */
  | 'STOPPED'
  /** A reorg would roll back more than `maxReorgDepth` blocks. */
  | 'REORG_TOO_DEEP'
  /** A reorg would roll back the finalized block (consensus README 15): never done, whatever the branch. */
  | 'FINALIZED_CONFLICT'
  /** The validated side branch does not beat the current tip (height, then lower hash). */
  | 'BRANCH_NOT_BETTER'
  /** The branch's first block does not extend the claimed fork point. */
  | 'BRANCH_DOES_NOT_CONNECT'
  /** Storage failed while switching branches; the old chain was restored. */
  | 'COMMIT_FAILED'
  /** Storage failed while switching and restoring the old chain failed too (resync needed). */
  | 'RESTORE_FAILED';

export class ChainError extends Error {
  readonly code: ChainErrorCode;
  constructor(code: ChainErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`);
    this.name = 'ChainError';
    this.code = code;
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/** What went wrong while talking to peers about their chains (fork detection, branch fetch). */
export type ForkSyncErrorCode =
  /** The peer's block-hash answers contradict each other or its own tip. */
  | 'INCONSISTENT_PEER'
  /** A streamed block range had the wrong count, heights or linkage. */
  | 'BAD_RANGE_RESPONSE'
  /** The ancestor search needed more round trips than its bound. */
  | 'ANCESTOR_SEARCH_EXHAUSTED'
  /** The fork is deeper than `maxReorgDepth` (no common block within the window). */
  | 'FORK_TOO_DEEP'
  /** The peer's chain does not hold our finalized block. */
  | 'CONFLICTS_FINALIZED'
  /** A claimed height above what the schedule allows since genesis. */
  | 'IMPLAUSIBLE_TIP';

export class ForkSyncError extends Error {
  readonly code: ForkSyncErrorCode;
  readonly peerId: string | undefined;
  constructor(code: ForkSyncErrorCode, message: string, peerId?: string) {
    super(`${code}: ${message}`);
    this.name = 'ForkSyncError';
    this.code = code;
    this.peerId = peerId;
  }
}

/**
 * Peer actions for the fork/sync codes a peer can cause (merged into the registry's error
 * table by ConsensusNode next to CONSENSUS_ERROR_ACTIONS).
 */
export const FORK_SYNC_ERROR_ACTIONS: Readonly<Record<string, ErrorActionRule>> = {
  INCONSISTENT_PEER: {
    action: 'score',
    scoreDelta: -10,
    description: 'block-hash answers contradict each other (a race with a reorg is possible)',
  },
  BAD_RANGE_RESPONSE: {
    action: 'score',
    scoreDelta: -10,
    description: 'a block range answer had the wrong count, heights or linkage',
  },
  ANCESTOR_SEARCH_EXHAUSTED: { action: 'ignore', description: 'our bound, not necessarily the peer' },
  IMPLAUSIBLE_TIP: {
    action: 'disconnect',
    scoreDelta: -20,
    description: 'claimed a height no chain can have yet (more blocks than slots since genesis)',
  },
  FORK_TOO_DEEP: { action: 'ignore', description: 'the peer follows a chain beyond our reorg cap' },
  CONFLICTS_FINALIZED: {
    action: 'ignore',
    description:
      'the peer follows a chain without our finalized block (it may be outside the quorum, not dishonest)',
  },
};
