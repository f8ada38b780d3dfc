import type { ExtendSync } from '../chain/fork-watcher-types.js';
import { SyncError } from '../sync/errors.js';
import type { RangeSync } from '../sync/range-sync.js';

/** The fork watcher's extension sync as a RangeSync: a running sync takes the new peers. */
export function rangeSyncExtender(rangeSync: RangeSync): ExtendSync {
  return async (peers) => {
    if (rangeSync.syncing) {
      rangeSync.addPeers(peers);
      return;
    }
    await rangeSync.syncTo(peers).catch((error: unknown) => {
      if (!(error instanceof SyncError && error.code === 'ALREADY_SYNCING')) throw error;
    });
  };
}

/** Waits for `p` (its outcome ignored) at most `ms`. */
export async function withTimeout(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    timer.unref();
  });
  try {
    await Promise.race([
      p.then(
        () => undefined,
        () => undefined,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
