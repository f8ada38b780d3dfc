import type { MessageKind } from './kinds.js';

/** Size of the big-endian u32 length prefix in front of every Envelope. */
export const LENGTH_PREFIX_BYTES = 4;

export const KiB = 1024;
export const MiB = 1024 * KiB;

/** Default maximum Envelope size (excluding the 4-byte prefix). */
export const DEFAULT_MAX_FRAME_BYTES = 8 * MiB;

/** Most txids one `txInventory` or `getTxs` carries (what their kind limits are sized for). */
export const MAX_TXIDS_PER_MESSAGE = 4_096;

/** Most votes one `votes` message carries (about 170 bytes each). */
export const MAX_VOTES_PER_MESSAGE = 256;

/** Most pieces of evidence one `evidence` message carries (under 700 bytes each). */
export const MAX_EVIDENCE_PER_MESSAGE = 16;

/**
 * Default per-kind maxima (Envelope bytes, excluding the prefix). A kind missing here is
 * bounded by the frame maximum only. Unknown kinds from newer peers get `maxUnknownKindBytes`.
 */
export const DEFAULT_KIND_LIMITS: Readonly<Record<MessageKind, number>> = {
  hello: 2 * KiB,
  helloAck: 256,
  ping: 64,
  pong: 64,
  disconnect: 1 * KiB,
  error: 4 * KiB,
  getPeers: 64,
  peers: 128 * KiB,
  getChainTip: 64,
  chainTip: 256,
  getBlockHash: 64,
  blockHash: 256,
  getBlockRange: 64,
  blockRangeChunk: DEFAULT_MAX_FRAME_BYTES,
  blockRangeEnd: 64,
  blockAnnounce: 4 * MiB,
  txBroadcast: 1 * MiB,
  getPendingTxs: 64,
  pendingTxs: 4 * MiB,
  // MAX_TXIDS_PER_MESSAGE ids of 32 bytes (34 with their field tags), plus room to spare.
  txInventory: 160 * KiB,
  getTxs: 160 * KiB,
  txs: 4 * MiB,
  // MAX_VOTES_PER_MESSAGE votes of at most ~180 bytes.
  votes: 64 * KiB,
  // MAX_EVIDENCE_PER_MESSAGE pieces of at most ~700 bytes.
  evidence: 16 * KiB,
  blockInventory: 128,
  cancel: 16,
};

/**
 * A kind this build does not know may be as large as any frame: it is skipped without being
 * buffered or decoded, so a future large kind costs an older node nothing but the bytes.
 */
export const DEFAULT_MAX_UNKNOWN_KIND_BYTES = DEFAULT_MAX_FRAME_BYTES;

export interface WireLimits {
  /** Largest Envelope accepted or emitted, whatever its kind. */
  readonly maxFrameBytes: number;
  /** Per-kind maxima; each is also capped by `maxFrameBytes`. */
  readonly kindLimits: Readonly<Record<MessageKind, number>>;
  /** Largest frame of a kind this build does not know (sent by a newer peer). */
  readonly maxUnknownKindBytes: number;
}

export interface WireLimitsInput {
  maxFrameBytes?: number;
  kindLimits?: Partial<Record<MessageKind, number>>;
  maxUnknownKindBytes?: number;
}

const MAX_U32 = 0xffff_ffff;

function checkLimit(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > MAX_U32) {
    throw new RangeError(`${name} must be an integer between 1 and ${MAX_U32}, got ${value}`);
  }
  return value;
}

/** Fills in defaults and validates. Per-kind limits never exceed the frame limit. */
export function resolveLimits(input: WireLimitsInput = {}): WireLimits {
  const maxFrameBytes = checkLimit('maxFrameBytes', input.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES);
  const kindLimits = { ...DEFAULT_KIND_LIMITS } as Record<MessageKind, number>;
  for (const [kind, value] of Object.entries(input.kindLimits ?? {})) {
    if (value !== undefined) kindLimits[kind as MessageKind] = checkLimit(`kindLimits.${kind}`, value);
  }
  for (const kind of Object.keys(kindLimits) as MessageKind[]) {
    kindLimits[kind] = Math.min(kindLimits[kind], maxFrameBytes);
  }
  const maxUnknownKindBytes = Math.min(
    checkLimit('maxUnknownKindBytes', input.maxUnknownKindBytes ?? DEFAULT_MAX_UNKNOWN_KIND_BYTES),
    maxFrameBytes,
  );
  return Object.freeze({ maxFrameBytes, kindLimits: Object.freeze(kindLimits), maxUnknownKindBytes });
}

export const DEFAULT_LIMITS: WireLimits = resolveLimits();
