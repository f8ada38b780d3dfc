import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import type { Registry } from 'prom-client';
import { BlockBatcher } from './block-batcher.js';
import { transferableCopy } from './bytes.js';
import type { StatelessParams } from './genesis.js';
import { type PoolMetrics, registerPoolMetrics, utilizationOf } from './metrics.js';
import { DEFAULT_POOL_MAX_QUEUE, defaultPoolThreads, POOL_TASKS_PER_WORKER } from './pool-defaults.js';
import { DEFAULT_SIG_CACHE_SLOTS, SignatureCache } from './sig-cache.js';
import type { StatelessBlockResult, StatelessTxResult } from './stateless.js';
import { InlineValidator, type StatelessValidator } from './stateless-validator.js';
import { BlockFirstQueue } from './task-queue.js';
import {
  blockResultOf,
  packSignatures,
  packTransactions,
  packTxids,
  type SignatureItem,
  sigResultsOf,
  txResultsOf,
  type ValidationTask,
  type ValidationTaskResult,
  type WorkerTimes,
} from './validation-task.js';

/** A task is never preempted, so a block waits for the batch in its worker to finish. */
const DEFAULT_MAX_TXS_PER_TASK = 128;

export type ValidationPoolErrorCode = 'QUEUE_FULL' | 'DESTROYED' | 'WORKER_FAILED';

/** The pool could not run a task (not a rule violation: the data was not judged). */
export class ValidationPoolError extends Error {
  readonly code: ValidationPoolErrorCode;
  constructor(code: ValidationPoolErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`);
    this.name = 'ValidationPoolError';
    this.code = code;
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

export interface ValidationPoolOptions {
  /** Worker threads. Default: `defaultPoolThreads()` (every core but one, at least 1). */
  threads?: number;
  /** Tasks waiting for a worker beyond which a task fails with QUEUE_FULL. Default `DEFAULT_POOL_MAX_QUEUE`. */
  maxQueue?: number;
  /** Path or file URL of the built worker. Default: dist/validation-worker.js next to this module. */
  workerFilename?: string;
  /**
   * Transactions per task when a batch is split (default 128: about 15 ms of Ed25519, the
   * longest a block waits for a busy worker).
   */
  maxTxsPerTask?: number;
  /** Batches of at most this many transactions run inline instead. Default 0 (always pooled). */
  inlineMaxTxs?: number;
  /** Upper bound on destroy(). Default 5 000 ms. */
  closeTimeoutMs?: number;
  /** Slots of the signature cache the workers share (32 bytes each). Default 65 536; 0 = none. */
  sigCacheSlots?: number;
  /** Registers tc_consensus_pool_* metrics here (see docs/METRICS.md). */
  registry?: Registry;
}

export interface PoolStats {
  readonly threads: number;
  readonly queueSize: number;
  readonly completed: number;
  /** Fraction of worker capacity used since the pool started (0..1). */
  readonly utilization: number;
  /** Time tasks waited for a worker, ms (piscina histogram). */
  readonly waitTimeMs: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly runTimeMs: { readonly p50: number; readonly p99: number; readonly max: number };
}

function defaultWorkerFilename(): string {
  const beside = new URL('./validation-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(beside))) return beside.href;
  // Running from src/ (tests, ts tooling): use the build output.
  const built = new URL('../dist/validation-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return built.href;
  throw new ValidationPoolError(
    'WORKER_FAILED',
    `validation worker not found at ${beside.href}; run the build`,
  );
}

function toFileHref(filename: string): string {
  return filename.startsWith('file:') ? filename : pathToFileURL(filename).href;
}

/**
 * Stateless validation in a piscina worker pool. One task = one batch (a block, or a chunk of
 * transactions); buffers are copied once into fresh ArrayBuffers and transferred.
 */
export class ValidationPool implements StatelessValidator {
  private readonly pool: Piscina<ValidationTask, ValidationTaskResult>;
  private readonly maxTxsPerTask: number;
  private readonly inlineMaxTxs: number;
  private readonly closeTimeoutMs: number;
  private readonly metrics: PoolMetrics | undefined;
  private readonly inline: InlineValidator;
  private destroyed = false;
  private readonly maxQueue: number;
  private readonly blocks: BlockBatcher;
  /** Shared with every worker (and small batches run inline): each signature is verified once per node. */
  readonly sigCache: SignatureCache | undefined;

  constructor(options: ValidationPoolOptions = {}) {
    const threads = options.threads ?? defaultPoolThreads();
    if (!Number.isInteger(threads) || threads < 1 || threads > 64)
      throw new RangeError('threads must be 1..64');
    const maxQueue = options.maxQueue ?? DEFAULT_POOL_MAX_QUEUE;
    if (!Number.isInteger(maxQueue) || maxQueue < 0)
      throw new RangeError('maxQueue must be a non-negative integer');
    this.maxTxsPerTask = Math.max(1, options.maxTxsPerTask ?? DEFAULT_MAX_TXS_PER_TASK);
    this.inlineMaxTxs = Math.max(0, options.inlineMaxTxs ?? 0);
    this.closeTimeoutMs = options.closeTimeoutMs ?? 5_000;
    const slots = options.sigCacheSlots ?? DEFAULT_SIG_CACHE_SLOTS;
    this.sigCache = slots > 0 ? SignatureCache.create(slots) : undefined;
    this.inline = new InlineValidator(this.sigCache);
    this.maxQueue = maxQueue;
    this.pool = new Piscina({
      workerData: { sigCache: this.sigCache?.buffer },
      filename: options.workerFilename ? toFileHref(options.workerFilename) : defaultWorkerFilename(),
      minThreads: threads,
      maxThreads: threads,
      maxQueue,
      concurrentTasksPerWorker: POOL_TASKS_PER_WORKER,
      taskQueue: new BlockFirstQueue(),
      idleTimeout: 60_000,
    });
    this.metrics = options.registry ? registerPoolMetrics(options.registry, () => this.pool) : undefined;
    this.blocks = new BlockBatcher((task, transfer) => this.run(task, transfer), threads);
  }

  get threads(): number {
    return this.pool.maxThreads;
  }

  stats(): PoolStats {
    // Each read of piscina's waitTime/runTime summarises its whole histogram (stddev included):
    // read each once.
    const wait = this.pool.histogram.waitTime;
    const run = this.pool.histogram.runTime;
    return {
      threads: this.pool.maxThreads,
      queueSize: this.pool.queueSize,
      completed: this.pool.completed,
      utilization: utilizationOf(this.pool),
      waitTimeMs: { p50: wait.p50, p99: wait.p99, max: wait.max },
      runTimeMs: { p50: run.p50, p99: run.p99, max: run.max },
    };
  }

  /**
   * Whether a task submitted now would be taken (a worker is free or the queue has room), as
   * Lodestar's BLS pool offers: a caller can hold work back instead of meeting QUEUE_FULL.
   */
  canAcceptWork(): boolean {
    return !this.destroyed && this.pool.queueSize < this.maxQueue;
  }

  private async run(task: ValidationTask, transferList: ArrayBuffer[]): Promise<ValidationTaskResult> {
    if (this.destroyed) throw new ValidationPoolError('DESTROYED', 'validation pool is destroyed');
    // Decided here from the queue's size, not from the text of piscina's refusal.
    if (!this.canAcceptWork()) {
      this.metrics?.tasks.inc({ kind: task.kind, result: 'error' });
      throw new ValidationPoolError(
        'QUEUE_FULL',
        `${this.pool.queueSize} tasks are waiting (maxQueue ${this.maxQueue})`,
      );
    }
    const started = performance.now();
    const submittedAtMs = performance.timeOrigin + started;
    try {
      const result: ValidationTaskResult & WorkerTimes = await this.pool.run(task, { transferList });
      this.observePhases(task.kind, submittedAtMs, result);
      const invalid =
        result.kind === 'block'
          ? !result.ok
          : result.kind === 'blocks'
            ? result.results.some((r) => !r.ok)
            : result.kind === 'txs'
              ? result.errors.some((e) => e !== null)
              : result.valid.includes(0);
      this.metrics?.tasks.inc({ kind: task.kind, result: invalid ? 'invalid' : 'ok' });
      return result;
    } catch (err) {
      this.metrics?.tasks.inc({ kind: task.kind, result: 'error' });
      const message = err instanceof Error ? err.message : String(err);
      if (this.destroyed || /terminat|destroy|closed/i.test(message)) {
        throw new ValidationPoolError('DESTROYED', message, { cause: err });
      }
      throw new ValidationPoolError('WORKER_FAILED', message, { cause: err });
    } finally {
      this.metrics?.taskSeconds.observe({ kind: task.kind }, (performance.now() - started) / 1000);
    }
  }

  /**
   * The worker stamps when it started and ended a task (on its own clock: timeOrigin + now, as
   * Lodestar's BLS workers stamp workerStartTime): the time splits into waiting for a worker
   * (with the transfer there), running, and the transfer back.
   */
  private observePhases(kind: string, submittedAtMs: number, r: WorkerTimes): void {
    if (!this.metrics || r.startedAtMs === undefined || r.endedAtMs === undefined) return;
    const receivedAtMs = performance.timeOrigin + performance.now();
    const seconds = (from: number, to: number) => Math.max(0, to - from) / 1000;
    this.metrics.taskPhaseSeconds.observe({ kind, phase: 'wait' }, seconds(submittedAtMs, r.startedAtMs));
    this.metrics.taskPhaseSeconds.observe({ kind, phase: 'run' }, seconds(r.startedAtMs, r.endedAtMs));
    this.metrics.taskPhaseSeconds.observe({ kind, phase: 'return' }, seconds(r.endedAtMs, receivedAtMs));
  }

  async validateBlock(
    bytes: Uint8Array,
    params: StatelessParams,
    options: { expectedHash?: Uint8Array; order?: number } = {},
  ): Promise<StatelessBlockResult> {
    let result: StatelessBlockResult;
    if (options.expectedHash === undefined) {
      // Blocks asked for in the same tick share a task (block-batcher.ts); a lone one goes alone.
      result = await this.blocks.validate(bytes, params, options.order);
    } else {
      const copy = transferableCopy(bytes);
      const { expectedHash, order } = options;
      const task: ValidationTask = { kind: 'block', bytes: copy, params, expectedHash, order };
      result = blockResultOf(await this.run(task, [copy.buffer as ArrayBuffer]));
    }
    if (result.sigCache && this.metrics) {
      this.metrics.sigCache.inc({ result: 'hit' }, result.sigCache.hits);
      this.metrics.sigCache.inc({ result: 'miss' }, result.sigCache.misses);
    }
    return result;
  }

  async validateTransactions(
    txs: readonly Uint8Array[],
    params: StatelessParams,
    txids?: readonly (Uint8Array | undefined)[],
  ): Promise<StatelessTxResult[]> {
    if (txs.length === 0) return [];
    if (txs.length <= this.inlineMaxTxs) return this.inline.validateTransactions(txs, params, txids);
    // Spread a batch over the workers, in tasks short enough for a block to slip in between;
    // at most two per worker queued at once, so one large batch (a reorg's returning
    // transactions) never fills the queue that blocks share.
    const perTask = Math.min(this.maxTxsPerTask, Math.ceil(txs.length / this.threads));
    const results: StatelessTxResult[][] = [];
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < txs.length) {
        const at = next;
        next += perTask;
        const { bytes, offsets } = packTransactions(txs.slice(at, at + perTask));
        const known = packTxids(txids?.slice(at, at + perTask), offsets.length - 1);
        const task: ValidationTask = {
          kind: 'txs',
          bytes,
          offsets,
          params,
          ...(known ? { txids: known } : {}),
        };
        const transfer = [bytes.buffer as ArrayBuffer, offsets.buffer as ArrayBuffer];
        if (known) transfer.push(known.buffer as ArrayBuffer);
        const done = await this.run(task, transfer);
        results[at / perTask] = txResultsOf(done);
      }
    };
    const lanes = Math.min(2 * this.threads, Math.ceil(txs.length / perTask));
    await Promise.all(Array.from({ length: lanes }, lane));
    return results.flat();
  }

  /** Checks signatures in the workers, in tasks of at most `maxTxsPerTask` items. */
  async verifySignatures(items: readonly SignatureItem[]): Promise<boolean[]> {
    const out: boolean[] = [];
    for (let at = 0; at < items.length; at += this.maxTxsPerTask) {
      const { bytes, offsets } = packSignatures(items.slice(at, at + this.maxTxsPerTask));
      const task: ValidationTask = { kind: 'sigs', bytes, offsets };
      out.push(
        ...sigResultsOf(await this.run(task, [bytes.buffer as ArrayBuffer, offsets.buffer as ArrayBuffer])),
      );
    }
    return out;
  }

  /** Stops the workers; pending tasks fail with DESTROYED. Resolves within closeTimeoutMs. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.closeTimeoutMs);
      timer.unref();
    });
    try {
      await Promise.race([this.pool.destroy(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
