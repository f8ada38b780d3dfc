/**
 * Piscina worker entry (built to dist/validation-worker.js). One call = one batch task: a
 * whole block, or a batch of transactions. The task's buffers arrive transferred; results are
 * small (32 bytes per txid) and are cloned back.
 */
import { initHashing } from './hashing.js';
import { runValidationTask, type ValidationTask, type ValidationTaskResult } from './validation-task.js';

export default async function validate(task: ValidationTask): Promise<ValidationTaskResult> {
  await initHashing();
  return runValidationTask(task);
}
