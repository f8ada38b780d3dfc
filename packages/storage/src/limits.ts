/** Bounds of a chain store. Every bound is documented in docs/LIMITS.md. */
export interface StorageLimits {
  /** Most bans kept; at the bound, expired bans go first, then the one that expires soonest. */
  readonly maxBans: number;
  /** Most address-book entries kept; at the bound, the entry with most failures (then seen longest ago) goes. */
  readonly maxPeers: number;
  /** Longest accepted ban key, peer address or node id, in UTF-8 bytes. */
  readonly maxKeyBytes: number;
  /** Longest accepted ban reason, in UTF-8 bytes; longer reasons are truncated. */
  readonly maxReasonBytes: number;
  /** Most headers or blocks one range read may ask for. */
  readonly maxRangeCount: number;
  /** A block range read stops once it holds this many bytes (it always returns at least one block). */
  readonly maxRangeBytes: number;
  /** Most outpoints in one batched UTXO lookup. */
  readonly maxBatchLookups: number;
  /** Most blocks one `commitBlocks` or `reorg` may commit, and most blocks one `reorg` may undo. */
  readonly maxBatchBlocks: number;
  /** Most accepted transactions kept in the `pending` table (the mempool's own bound is lower). */
  readonly maxPendingTxs: number;
  /** Largest accepted transaction stored there, in bytes. */
  readonly maxPendingTxBytes: number;
  /** Most pieces of equivocation evidence kept in the `finality` table. */
  readonly maxEvidence: number;
  /** Time `close()` waits for the engine before it gives up and resolves. */
  readonly closeTimeoutMs: number;
}

/** Upper bound for `maxKeyBytes`, below LMDB's 1 978-byte key limit. */
export const MAX_KEY_BYTES = 1_024;

export const DEFAULT_STORAGE_LIMITS: StorageLimits = Object.freeze({
  maxBans: 10_000,
  maxPeers: 10_000,
  maxKeyBytes: 256,
  maxReasonBytes: 1_024,
  maxRangeCount: 2_000,
  maxRangeBytes: 32 * 1024 * 1024,
  maxBatchLookups: 100_000,
  maxBatchBlocks: 1_000,
  maxPendingTxs: 200_000,
  maxPendingTxBytes: 1024 * 1024,
  maxEvidence: 10_000,
  closeTimeoutMs: 10_000,
});

export function resolveStorageLimits(input: Partial<StorageLimits> = {}): StorageLimits {
  const limits = { ...DEFAULT_STORAGE_LIMITS };
  for (const [name, value] of Object.entries(input) as [keyof StorageLimits, number | undefined][]) {
    if (value === undefined) continue;
    if (!(name in DEFAULT_STORAGE_LIMITS)) throw new RangeError(`unknown storage limit '${name}'`);
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`storage limit ${name} must be a positive integer, got ${value}`);
    }
    limits[name] = value;
  }
  if (limits.maxKeyBytes > MAX_KEY_BYTES) {
    throw new RangeError(`storage limit maxKeyBytes must be at most ${MAX_KEY_BYTES} (LMDB's key size)`);
  }
  return Object.freeze(limits);
}
