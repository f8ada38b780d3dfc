import { HASH_BYTES, LeWriter } from '../bytes.js';
import type { Checkpoint } from './vote.js';

/**
 * A validator's slashing protection (README 15.4): the source and target epochs of the last
 * vote it signed, and the highest checkpoint it had seen justified. Stored and fsynced before a
 * vote leaves the node, so no crash can make it sign a double or surround vote.
 */
export interface VoteGuardState {
  readonly lastSourceEpoch: number;
  readonly lastTargetEpoch: number;
  readonly justified: Checkpoint | undefined;
}

const VERSION = 1;
const BYTES = 1 + 8 + 8 + 8 + HASH_BYTES;

export function encodeVoteGuard(state: VoteGuardState): Uint8Array {
  return new LeWriter(BYTES)
    .u8(VERSION)
    .u64(state.lastSourceEpoch)
    .u64(state.lastTargetEpoch)
    .u64(state.justified?.epoch ?? 0)
    .raw(state.justified?.hash ?? new Uint8Array(HASH_BYTES), HASH_BYTES)
    .finish();
}

/** Decodes a stored guard; a record this build cannot read refuses to vote (throws). */
export function decodeVoteGuard(bytes: Uint8Array): VoteGuardState {
  if (bytes.length !== BYTES || bytes[0] !== VERSION)
    throw new Error(`vote guard of ${bytes.length} bytes, version ${bytes[0]}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const epoch = (at: number) => Number(view.getBigUint64(at, true));
  const justifiedEpoch = epoch(17);
  return {
    lastSourceEpoch: epoch(1),
    lastTargetEpoch: epoch(9),
    justified:
      justifiedEpoch > 0 ? { epoch: justifiedEpoch, hash: bytes.slice(25, 25 + HASH_BYTES) } : undefined,
  };
}

/**
 * The rule that keeps an honest validator's votes free of both offences: target epochs strictly
 * increase and source epochs never go down. Then no two votes share a target epoch, and for an
 * earlier (s1, t1) and a later (s2, t2), t2 > t1 and s2 ≥ s1, so neither link surrounds the other.
 */
export function mayVote(guard: VoteGuardState | undefined, source: Checkpoint, target: Checkpoint): boolean {
  if (source.epoch >= target.epoch) return false;
  if (guard === undefined) return true;
  return target.epoch > guard.lastTargetEpoch && source.epoch >= guard.lastSourceEpoch;
}
