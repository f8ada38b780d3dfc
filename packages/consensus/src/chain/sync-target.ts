/**
 * The seam between range sync (src/sync/) and the chain manager: sync fetches blocks from
 * peers and hands them to a SyncTarget, which validates and commits them.
 */
export interface SyncTarget {
  /** Canonical tip. */
  tip(): { height: number; hash: Uint8Array };
  /**
   * Imports consecutive encoded blocks (each extends the previous; the first extends the
   * current tip). Validates statelessly in the pool (batched) and statefully, commits each
   * atomically through storage. Throws a consensus validation error (with `code`) on the
   * first invalid block; blocks before it stay imported (read `tip()` to see how far it got).
   * Leading blocks that are already canonical are skipped (not counted in `imported`). Other
   * errors are not the sender's fault: `ChainError` (`QUEUE_FULL`, `STOPPED`) or a storage error.
   */
  importBlocks(blocks: readonly Uint8Array[], fromPeer: string): Promise<{ imported: number }>;
  /**
   * Optional: starts the stateless checks of blocks that `importBlocks` will get soon (the same
   * Uint8Array objects), so validation overlaps the running import. `startHeight`, the first
   * block's height, lets the pool check lower blocks first (downloads land out of order). Never
   * throws; the caller bounds how many blocks it passes ahead of the import.
   */
  prevalidate?(blocks: readonly Uint8Array[], startHeight?: number): void;
}
