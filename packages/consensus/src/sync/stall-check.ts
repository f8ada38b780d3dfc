import type { Batch } from './batch.js';
import type { RunTally } from './run-tally.js';
import type { RunConfig, SyncStalled } from './sync-types.js';

/**
 * A sync with no import for `stallTimeoutMs`: warns, emits `stalled`, and moves the stuck
 * batches to other peers (their peer is reported SYNC_STALLED unless our own event loop lagged
 * over the whole wait, which excuses it).
 */
export function checkStall(
  cfg: Pick<RunConfig, 'stallTimeoutMs' | 'lag' | 'metrics' | 'log' | 'onStalled'>,
  tally: RunTally,
  batches: readonly Batch[],
  report: (peerId: string, code: string, detail: string) => void,
): void {
  const now = performance.now();
  const sinceMs = now - tally.lastProgressAt;
  if (sinceMs < cfg.stallTimeoutMs) return;
  tally.stallReported(now);
  cfg.metrics?.stalls.inc();
  const head = batches[0];
  let action: SyncStalled['action'] = 'waiting';
  const stuck = stuckBatches(batches, now, cfg.stallTimeoutMs);
  if (stuck.length > 0) {
    const excused = cfg.lag.excusesTimeout(cfg.lag.now() - cfg.stallTimeoutMs);
    for (const b of stuck) {
      b.stalled = true;
      b.stallExcused = excused;
    }
    if (!excused) report(head!.peer!, 'SYNC_STALLED', `${head!.start}..${head!.end}`);
    action = 'reassigned';
  }
  const info = stallReport(tally.height, tally.targetHeight, sinceMs, head, action);
  cfg.log.warn(info, 'range sync stalled');
  cfg.onStalled(info);
  for (const b of stuck) b.controller?.abort(new Error('sync stalled'));
}

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
