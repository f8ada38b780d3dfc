import { type GenesisConfig, statelessParams } from '../genesis.js';
import { ValidationPoolError } from '../pool.js';
import type { StatelessBlockResult } from '../stateless.js';
import type { StatelessValidator } from '../stateless-validator.js';

/** How long an import waits out a full pool queue, and in what steps. */
export const IMPORT_QUEUE_WAIT_MS = 10_000;
export const IMPORT_QUEUE_RETRY_MS = 5;

/**
 * The chain manager's stateless checks in the pool: one call per block, prevalidation of blocks
 * an import will get soon, and imports that wait out a full pool queue instead of failing.
 */
export class StatelessChecks {
  private readonly params;
  private readonly prevalidated = new WeakMap<Uint8Array, Promise<StatelessBlockResult>>();

  constructor(
    private readonly validator: StatelessValidator,
    genesis: GenesisConfig,
    private readonly stopped: () => boolean,
  ) {
    this.params = statelessParams(genesis);
  }

  /** One block's stateless rules in the pool (an announced or produced block, a reorg's branch). */
  check(bytes: Uint8Array): Promise<StatelessBlockResult> {
    return this.validator.validateBlock(bytes, this.params);
  }

  /**
   * Starts the checks of blocks an import will get soon (see ChainManager.prevalidate), while
   * the pool takes work; results never taken are dropped with their bytes (a WeakMap).
   */
  prevalidate(blocks: readonly Uint8Array[]): void {
    for (const bytes of blocks) {
      if (this.prevalidated.has(bytes)) continue;
      // A full pool: the import validates the rest itself, when it gets there.
      if (this.validator.canAcceptWork?.() === false) return;
      const p = this.check(bytes);
      p.catch(() => undefined); // taken (and awaited) by forImport, or never
      this.prevalidated.set(bytes, p);
    }
  }

  /**
   * An import's check: the prevalidated result when there is one (checked again if it failed
   * for the pool's sake: full, restarting), else a new check that waits out a full pool queue
   * (gossip and prevalidation share it) in steps of IMPORT_QUEUE_RETRY_MS for at most
   * IMPORT_QUEUE_WAIT_MS: back-pressure, not a reason to fail the whole sync.
   */
  forImport(bytes: Uint8Array): Promise<StatelessBlockResult> {
    const early = this.prevalidated.get(bytes);
    if (early === undefined) return this.whenRoom(bytes);
    this.prevalidated.delete(bytes);
    return early.catch((error: unknown) => {
      if (error instanceof ValidationPoolError) return this.whenRoom(bytes);
      throw error;
    });
  }

  private async whenRoom(bytes: Uint8Array): Promise<StatelessBlockResult> {
    const deadline = performance.now() + IMPORT_QUEUE_WAIT_MS;
    for (;;) {
      try {
        return await this.check(bytes);
      } catch (error) {
        const full = error instanceof ValidationPoolError && error.code === 'QUEUE_FULL';
        if (!full || performance.now() >= deadline || this.stopped()) throw error;
        await new Promise((resolve) => setTimeout(resolve, IMPORT_QUEUE_RETRY_MS));
      }
    }
  }
}
