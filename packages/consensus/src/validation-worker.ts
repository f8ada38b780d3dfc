/**
 * Piscina worker entry (built to dist/validation-worker.js). One call = one batch task: a
 * whole block, or a batch of transactions. The task's buffers arrive transferred; results are
 * small (32 bytes per txid) and are cloned back.
 */
import { workerData } from 'piscina';
import { initHashing } from './hashing.js';
import { SignatureCache } from './sig-cache.js';
import {
  runValidationTask,
  type ValidationTask,
  type ValidationTaskResult,
  type WorkerTimes,
} from './validation-task.js';

/** The pool's shared signature cache (see sig-cache.ts), when it gave one. */
const shared = (workerData as { sigCache?: SharedArrayBuffer } | undefined)?.sigCache;
const cache = shared ? new SignatureCache(shared) : undefined;

export default async function validate(task: ValidationTask): Promise<ValidationTaskResult & WorkerTimes> {
  await initHashing();
  const startedAtMs = performance.timeOrigin + performance.now();
  const result = runValidationTask(task, cache);
  return { ...result, startedAtMs, endedAtMs: performance.timeOrigin + performance.now() };
}
