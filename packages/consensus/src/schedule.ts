import type { GenesisConfig } from './genesis.js';

/**
 * Producer schedule. Height h's slot starts at parent.timestampMs + slotMs. Attempt a covers
 * [slotStart + a·leaderTimeoutMs, slotStart + (a+1)·leaderTimeoutMs), and its leader is
 * validators[(h + a) mod n]. A block's attempt is implied by its timestamp, so an offline
 * leader only delays the chain by one leader timeout.
 */
export type ScheduleParams = Pick<GenesisConfig, 'validators' | 'slotMs' | 'leaderTimeoutMs'>;

const U32_MAX = 0xffff_ffff;

export function leaderIndex(
  schedule: Pick<GenesisConfig, 'validators'>,
  height: number,
  attempt: number,
): number {
  const n = BigInt(schedule.validators.length);
  return Number((BigInt(height) + BigInt(attempt)) % n);
}

/** The public key scheduled to produce `height` at `attempt`. */
export function leaderFor(
  schedule: Pick<GenesisConfig, 'validators'>,
  height: number,
  attempt: number,
): Uint8Array {
  return schedule.validators[leaderIndex(schedule, height, attempt)]!;
}

/** When the slot for the child of a block with `parentTimestampMs` starts. */
export function slotStart(schedule: ScheduleParams, parentTimestampMs: number): number {
  return parentTimestampMs + schedule.slotMs;
}

/**
 * The attempt a timestamp falls in, or undefined when it is before the slot start or the
 * attempt would not fit a u32.
 */
export function attemptAt(
  schedule: ScheduleParams,
  parentTimestampMs: number,
  timestampMs: number,
): number | undefined {
  const start = slotStart(schedule, parentTimestampMs);
  if (timestampMs < start) return undefined;
  const attempt = Math.floor((timestampMs - start) / schedule.leaderTimeoutMs);
  return attempt > U32_MAX ? undefined : attempt;
}

/** Start of an attempt's window (the earliest timestamp a block at that attempt may carry). */
export function attemptStart(schedule: ScheduleParams, parentTimestampMs: number, attempt: number): number {
  return slotStart(schedule, parentTimestampMs) + attempt * schedule.leaderTimeoutMs;
}

/**
 * The highest height any valid chain can have at `nowMs`. A block's timestamp is at least its
 * parent's plus `slotMs` (attempt 0 starts there), and at most `futureToleranceMs` ahead of a
 * validating clock, so height h needs `genesis + h·slotMs ≤ now + futureToleranceMs`. A peer
 * claiming more is provably lying (or its clock is, which would also get its blocks refused).
 */
export function maxPlausibleHeight(
  schedule: Pick<ScheduleParams, 'slotMs'> & { timestampMs: number; futureToleranceMs: number },
  nowMs: number,
): number {
  return Math.max(
    0,
    Math.floor((nowMs + schedule.futureToleranceMs - schedule.timestampMs) / schedule.slotMs),
  );
}

/**
 * The next (attempt, time) at or after `nowMs` at which `publicKey` leads the child of the
 * parent, searching at most `maxAttempts` attempts ahead (bounded; default one full rotation).
 */
export function nextTurn(
  schedule: ScheduleParams,
  parent: { height: number; timestampMs: number },
  publicKey: Uint8Array,
  nowMs: number,
  maxAttempts = schedule.validators.length,
): { attempt: number; atMs: number } | undefined {
  const height = parent.height + 1;
  const current = attemptAt(schedule, parent.timestampMs, nowMs) ?? 0;
  const key = Buffer.from(publicKey);
  for (let a = current; a < current + maxAttempts && a <= U32_MAX; a++) {
    if (key.equals(leaderFor(schedule, height, a))) {
      return { attempt: a, atMs: Math.max(nowMs, attemptStart(schedule, parent.timestampMs, a)) };
    }
  }
  return undefined;
}
