import { bytesEqual } from '../bytes.js';
import { ForkSyncError } from './chain-errors.js';

export interface AncestorSearchOptions {
  /** Our canonical hash at a height (undefined above our tip). */
  localHashAt(height: number): Uint8Array | undefined;
  /** The peer's canonical hash at a height, undefined when it has none: one round trip. */
  remoteHashAt(height: number): Promise<Uint8Array | undefined>;
  /** Highest height to consider: min(our tip height, the peer's tip height). */
  high: number;
  /**
   * Lowest height to consider (default 0, genesis, which every peer shares after the
   * handshake). When above 0 the peer must agree there, else FORK_TOO_DEEP: the reorg cap
   * makes anything below `ourTip − maxReorgDepth` irrelevant.
   */
  low?: number;
  /** Bound on round trips (default 64, enough for 2^62 heights). */
  maxRoundTrips?: number;
  peerId?: string;
}

export interface AncestorResult {
  /** Highest height at which both chains have the same block. */
  readonly height: number;
  readonly hash: Uint8Array;
  /** Block-hash requests made. */
  readonly roundTrips: number;
}

/**
 * Finds the highest common block of our chain and a peer's by binary search over
 * block-hash-at-height requests: 1 request when the peer's chain contains our block at
 * `high`, otherwise at most 2 + ⌈log2(high − low)⌉ (O(log n), never a linear walk).
 * Chains are prefix-closed, so "hashes agree at h" is monotone in h.
 */
export async function findCommonAncestor(opts: AncestorSearchOptions): Promise<AncestorResult> {
  const low = Math.max(0, opts.low ?? 0);
  const high = opts.high;
  const max = opts.maxRoundTrips ?? 64;
  if (!Number.isSafeInteger(high) || high < low) {
    throw new RangeError(`ancestor search range [${low}, ${high}] is empty`);
  }
  let roundTrips = 0;
  const agrees = async (height: number): Promise<boolean> => {
    if (roundTrips >= max) {
      throw new ForkSyncError('ANCESTOR_SEARCH_EXHAUSTED', `more than ${max} round trips`, opts.peerId);
    }
    roundTrips++;
    const local = opts.localHashAt(height);
    if (local === undefined) throw new RangeError(`no local block at height ${height}`);
    const remote = await opts.remoteHashAt(height);
    return remote !== undefined && remote.length > 0 && bytesEqual(local, remote);
  };
  const result = (height: number): AncestorResult => ({
    height,
    hash: opts.localHashAt(height)!,
    roundTrips,
  });

  if (await agrees(high)) return result(high);
  if (low === high) {
    throw new ForkSyncError('FORK_TOO_DEEP', `no common block at or above height ${low}`, opts.peerId);
  }
  if (low > 0 && !(await agrees(low))) {
    throw new ForkSyncError('FORK_TOO_DEEP', `no common block at or above height ${low}`, opts.peerId);
  }
  // Invariant: the chains agree at lo and differ at hi.
  let lo = low;
  let hi = high;
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (await agrees(mid)) lo = mid;
    else hi = mid;
  }
  return result(lo);
}
