import type { Logger } from 'pino';
import { EXIT_FORCED, EXIT_OK } from './exit-codes.js';

/**
 * Shutdown phases, run in this order. Components register their steps in the phase that fits:
 * the RPC and p2p listeners stop accepting first, peers get disconnect messages, in-flight work
 * drains, the worker pool is destroyed, the store (LMDB) is closed, and `final` runs last.
 */
export const SHUTDOWN_PHASES = ['stop-accepting', 'disconnect', 'drain', 'pool', 'storage', 'final'] as const;
export type ShutdownPhase = (typeof SHUTDOWN_PHASES)[number];

export interface ShutdownStep {
  readonly name: string;
  /** Default `final`. */
  readonly phase?: ShutdownPhase;
  /** This step's own bound; it also never runs past the overall deadline. Default: no own bound. */
  readonly timeoutMs?: number;
  /** Does the work. `signal` aborts when the step's time is up; the coordinator then moves on. */
  run(signal: AbortSignal): Promise<void> | void;
}

export type StepOutcome = 'ok' | 'timeout' | 'error' | 'skipped';

export interface StepResult {
  readonly name: string;
  readonly phase: ShutdownPhase;
  readonly outcome: StepOutcome;
  readonly ms: number;
  readonly error?: string;
}

export interface ShutdownResult {
  readonly reason: string;
  /** Every step finished in time without error. */
  readonly clean: boolean;
  /** 0 for a clean stop, EXIT_FORCED (70) for a forced one, or the exit code passed to shutdown(). */
  readonly exitCode: number;
  readonly steps: readonly StepResult[];
}

export interface ShutdownOptions {
  /** Overall deadline from the first signal to exit. Default 5000 ms. */
  readonly timeoutMs?: number;
  readonly logger?: Logger;
  /**
   * Called with the exit code when shutdown ends (and immediately, with EXIT_FORCED, on a second
   * signal). Default `process.exit`. `null` never exits (tests, embedding).
   */
  readonly exit?: ((code: number) => void) | null;
}

export type ShutdownState = 'running' | 'stopping' | 'stopped';

class StepTimeout extends Error {}

/**
 * Runs registered shutdown steps once, in phase order, each time-boxed, all within one overall
 * deadline, so a hung peer or worker can delay exit by at most `timeoutMs`. A step that times
 * out or throws is abandoned (its signal aborts) and the next step still runs: the store is
 * closed even when the pool hangs. The exit code is 0 when every step finished, EXIT_FORCED (70)
 * otherwise. A second SIGINT/SIGTERM exits at once with EXIT_FORCED.
 */
export class ShutdownCoordinator {
  readonly timeoutMs: number;
  private readonly steps: { step: ShutdownStep; seq: number }[] = [];
  private seq = 0;
  private readonly logger: Logger | undefined;
  private readonly exitFn: ((code: number) => void) | null;
  private readonly controller = new AbortController();
  private running: Promise<ShutdownResult> | undefined;
  private stateValue: ShutdownState = 'running';
  private resolveStopped!: (result: ShutdownResult) => void;
  /** Resolves with the result once shutdown (however it was started) has finished. */
  readonly stopped: Promise<ShutdownResult> = new Promise((resolve) => {
    this.resolveStopped = resolve;
  });

  constructor(options: ShutdownOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 5000;
    if (!(this.timeoutMs > 0)) throw new RangeError('shutdown timeoutMs must be positive');
    this.logger = options.logger;
    this.exitFn = options.exit === undefined ? (code) => process.exit(code) : options.exit;
  }

  get state(): ShutdownState {
    return this.stateValue;
  }

  /** Aborts when shutdown begins; components stop taking new work when it fires. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Adds a step; returns a function that removes it (a component that closed early). */
  register(step: ShutdownStep): () => void {
    if (this.stateValue !== 'running') {
      throw new Error(`cannot register shutdown step ${step.name}: shutdown already started`);
    }
    const entry = { step, seq: this.seq++ };
    this.steps.push(entry);
    return () => {
      const i = this.steps.indexOf(entry);
      if (i >= 0) this.steps.splice(i, 1);
    };
  }

  /**
   * Shuts down on SIGINT/SIGTERM; a second signal forces exit. Returns a function that removes
   * the handlers.
   */
  installSignalHandlers(signals: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM']): () => void {
    const handler = (sig: NodeJS.Signals) => {
      if (this.stateValue === 'running') {
        this.shutdown(sig).catch(() => {});
        return;
      }
      this.logger?.warn({ signal: sig }, 'second signal during shutdown: forcing exit');
      this.logger?.flush?.();
      this.exitFn?.(EXIT_FORCED);
    };
    for (const s of signals) process.on(s, handler);
    return () => {
      for (const s of signals) process.off(s, handler);
    };
  }

  /**
   * Starts shutdown (idempotent: later calls return the same promise). `exitCode` is the code of
   * a clean stop; a non-zero one reports e.g. a fatal error that caused the shutdown.
   * `exit: false` returns the result instead of exiting (a caller that reports the error itself).
   */
  shutdown(reason: string, options: { exitCode?: number; exit?: boolean } = {}): Promise<ShutdownResult> {
    if (!this.running)
      this.running = this.runSteps(reason, options.exitCode ?? EXIT_OK, options.exit ?? true);
    return this.running;
  }

  private async runSteps(reason: string, baseCode: number, exit: boolean): Promise<ShutdownResult> {
    this.stateValue = 'stopping';
    const started = performance.now();
    const deadline = started + this.timeoutMs;
    this.logger?.info({ reason, timeoutMs: this.timeoutMs, steps: this.steps.length }, 'shutting down');
    this.controller.abort(new Error(`shutdown: ${reason}`));
    // Backstop: exit even if something below never settles (e.g. a step swallowing its timer).
    const backstop = setTimeout(() => {
      this.logger?.error({ reason }, 'shutdown deadline passed: forcing exit');
      this.logger?.flush?.();
      this.exitFn?.(EXIT_FORCED);
    }, this.timeoutMs + 500);
    if (this.exitFn === null || !exit) backstop.unref();

    const ordered = [...this.steps].sort(
      (a, b) =>
        SHUTDOWN_PHASES.indexOf(a.step.phase ?? 'final') - SHUTDOWN_PHASES.indexOf(b.step.phase ?? 'final') ||
        a.seq - b.seq,
    );
    const results: StepResult[] = [];
    for (const { step } of ordered) {
      results.push(await this.runStep(step, deadline));
    }
    clearTimeout(backstop);
    const clean = results.every((r) => r.outcome === 'ok');
    const exitCode = clean ? baseCode : EXIT_FORCED;
    const ms = Math.round(performance.now() - started);
    this.stateValue = 'stopped';
    if (clean) this.logger?.info({ reason, ms, exitCode }, 'shutdown complete');
    else {
      this.logger?.warn(
        { reason, ms, exitCode, failed: results.filter((r) => r.outcome !== 'ok').map((r) => r.name) },
        'shutdown forced',
      );
    }
    this.logger?.flush?.();
    const result: ShutdownResult = { reason, clean, exitCode, steps: results };
    this.resolveStopped(result);
    if (exit) this.exitFn?.(exitCode);
    return result;
  }

  private async runStep(step: ShutdownStep, deadline: number): Promise<StepResult> {
    const phase = step.phase ?? 'final';
    const t0 = performance.now();
    const budget = Math.min(step.timeoutMs ?? Number.POSITIVE_INFINITY, deadline - t0);
    if (budget <= 0) {
      this.logger?.warn({ step: step.name, phase }, 'shutdown step skipped: deadline passed');
      return { name: step.name, phase, outcome: 'skipped', ms: 0 };
    }
    const ac = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StepTimeout()), Math.ceil(budget));
    });
    try {
      await Promise.race([Promise.resolve().then(() => step.run(ac.signal)), timeout]);
      const ms = Math.round(performance.now() - t0);
      this.logger?.debug({ step: step.name, phase, ms }, 'shutdown step done');
      return { name: step.name, phase, outcome: 'ok', ms };
    } catch (error) {
      const ms = Math.round(performance.now() - t0);
      if (error instanceof StepTimeout) {
        ac.abort(new Error(`shutdown step ${step.name} timed out after ${Math.ceil(budget)} ms`));
        this.logger?.warn({ step: step.name, phase, ms }, 'shutdown step timed out; abandoned');
        return { name: step.name, phase, outcome: 'timeout', ms };
      }
      const message = error instanceof Error ? error.message : String(error);
      this.logger?.warn({ step: step.name, phase, ms, err: message }, 'shutdown step failed');
      return { name: step.name, phase, outcome: 'error', ms, error: message };
    } finally {
      clearTimeout(timer);
    }
  }
}
