import { availableParallelism } from 'node:os';

/**
 * The validation pool's defaults, in one place: the pool, ConsensusNode and the app (`pool.size`,
 * `pool.maxQueue`) all take them from here, so they cannot disagree again (they were min(2, cpus),
 * 1 and cpus − 1 threads, and a queue of 64 against the app's 4 096).
 */

/**
 * Worker threads: every core but one, which the main thread (sockets, the chain's writes)
 * needs for itself; at least 1.
 */
export function defaultPoolThreads(cpus: number = availableParallelism()): number {
  return Math.max(1, cpus - 1);
}

/**
 * Tasks waiting for a worker beyond which a task is refused (QUEUE_FULL, back-pressure to the
 * caller). Tasks are batches (a block, up to 128 transactions), so 4 096 of them is far more
 * than one node's honest load keeps waiting, and still a bound.
 */
export const DEFAULT_POOL_MAX_QUEUE = 4_096;

/**
 * Tasks a worker holds at once: the one it runs and the next. A worker takes a task only when
 * the main thread hands it over, so with one at a time it idled whenever the main thread was
 * busy (a syncing node's commits run their storage writes there: 0.9 s per 64 blocks on the
 * loaded testnet, with the worker idle throughout). In alternating bench runs the pool-only
 * sync baseline went from 14 100–14 900 to 15 500–17 700 blocks/s with two; nothing else moved
 * beyond noise. The cost: a block can wait behind one task already handed over (at most 128
 * transactions, about 15 ms of Ed25519) besides the one running.
 */
export const POOL_TASKS_PER_WORKER = 2;
