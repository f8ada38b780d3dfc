/** Faults applied to one direction of a proxied link. Zero/undefined means "no fault". */
export interface DirectionFaults {
  /** Fixed one-way delay added to every chunk. */
  readonly latencyMs?: number;
  /** Each chunk's delay varies uniformly within ±jitterMs (order is preserved, as TCP would). */
  readonly jitterMs?: number;
  /** Link capacity; chunks are serialised at this rate. */
  readonly bandwidthBytesPerSec?: number;
  /** Probability that any given byte has one random bit flipped. */
  readonly flipProbability?: number;
  /**
   * Probability that a chunk is "lost": over TCP a lost segment is retransmitted after a timeout,
   * so the chunk (and, in order, everything behind it) arrives `retransmitMs` later. Nothing is
   * dropped: a proxy between two TCP endpoints can only model loss as the delay it causes.
   */
  readonly lossProbability?: number;
  /** The retransmission timeout a loss costs (default 200 ms, Linux's minimum RTO). */
  readonly retransmitMs?: number;
}

export type Direction = 'forward' | 'backward';
export type DirectionSelector = Direction | 'both';

export function validateFaults(faults: DirectionFaults): DirectionFaults {
  const check = (name: string, value: number | undefined, max: number) => {
    if (value === undefined) return;
    if (!Number.isFinite(value) || value < 0 || value > max) {
      throw new RangeError(`${name} must be between 0 and ${max}, got ${value}`);
    }
  };
  check('latencyMs', faults.latencyMs, 60_000);
  check('jitterMs', faults.jitterMs, 60_000);
  check('bandwidthBytesPerSec', faults.bandwidthBytesPerSec, 10 * 1024 ** 3);
  check('flipProbability', faults.flipProbability, 1);
  check('lossProbability', faults.lossProbability, 1);
  check('retransmitMs', faults.retransmitMs, 60_000);
  if (faults.bandwidthBytesPerSec === 0)
    throw new RangeError('bandwidthBytesPerSec must be > 0 (use cut() to stop a link)');
  return { ...faults };
}

export const directionsOf = (selector: DirectionSelector): Direction[] =>
  selector === 'both' ? ['forward', 'backward'] : [selector];

/** Small seeded PRNG (mulberry32) so a failing chaos run can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
