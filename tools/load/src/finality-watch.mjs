// When each height became final on one node: getblockchaininfo polled every `everyMs`.
import { sleep } from './cluster.mjs';

/**
 * Polls `node`'s finalized height until stopped; every height that became final between two
 * polls gets the time of the poll that saw it (resolution: the poll interval plus one RPC).
 * Bounded: one poll in flight, one entry per height.
 */
export function watchFinality(node, everyMs = 25) {
  const finalAt = new Map(); // height → epoch ms it was first seen final
  let last = -1;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        const info = await node.rpc.call('getblockchaininfo', [], 5_000);
        const now = Date.now();
        const h = info.finalizedHeight ?? 0;
        if (last < 0) last = h; // heights final before the watch are not timed
        for (let x = last + 1; x <= h; x++) finalAt.set(x, now);
        last = Math.max(last, h);
      } catch {
        // the node may be busy or restarting: the next poll catches up
      }
      await sleep(everyMs);
    }
  })();
  return {
    finalAt,
    get finalized() {
      return last;
    },
    async stop() {
      stopped = true;
      await loop;
    },
  };
}
