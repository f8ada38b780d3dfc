import type { Batch } from './batch.js';
import type { SyncStalled } from './sync-types.js';

/**
 * The batches a stall moves to other peers. The head batch blocks the import; other downloads
 * of the same peer running as long are just as stuck, so they move too (else each would stall
 * the sync once more later). None when the head is not downloading (the import itself is slow).
 */
export function stuckBatches(batches: readonly Batch[], now: number, stallTimeoutMs: number): Batch[] {
  const head = batches[0];
  if (head?.state !== 'Downloading' || head.peer === undefined) return [];
  return batches.filter(
    (b) =>
      b === head ||
      (b.state === 'Downloading' && b.peer === head.peer && now - b.downloadStartedAt >= stallTimeoutMs),
  );
}

/** What a stall reports (the `stalled` event and the warning). */
export function stallReport(
  height: number,
  target: number,
  sinceMs: number,
  head: Batch | undefined,
  action: SyncStalled['action'],
): SyncStalled {
  return {
    height,
    target,
    sinceMs: Math.round(sinceMs),
    batch: head ? { start: head.start, end: head.end, state: head.state } : undefined,
    peer: head?.peer,
    action,
  };
}
