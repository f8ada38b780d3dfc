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

  /**
   * One block's stateless rules in the pool (an announced or produced block, a reorg's branch).
   * `height`: where an import needs it, its order in the pool's queue (none: at once).
   */
  check(bytes: Uint8Array, height?: number): Promise<StatelessBlockResult> {
    return this.validator.validateBlock(bytes, this.params, { order: height });
  }

  /**
   * Starts the checks of blocks an import will get soon (see ChainManager.prevalidate), while
   * the pool takes work; results never taken are dropped with their bytes (a WeakMap).
   * `startHeight`: the first block's height, so the pool checks lower blocks first.
   */
  prevalidate(blocks: readonly Uint8Array[], startHeight?: number): void {
    for (const [i, bytes] of blocks.entries()) {
      if (this.prevalidated.has(bytes)) continue;
      // A full pool: the import validates the rest itself, when it gets there.
      if (this.validator.canAcceptWork?.() === false) return;
      const p = this.check(bytes, startHeight === undefined ? undefined : startHeight + i);
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
  forImport(bytes: Uint8Array, height?: number): Promise<StatelessBlockResult> {
    const early = this.prevalidated.get(bytes);
    if (early === undefined) return this.whenRoom(bytes, height);
    this.prevalidated.delete(bytes);
    return early.catch((error: unknown) => {
      if (error instanceof ValidationPoolError) return this.whenRoom(bytes, height);
      throw error;
    });
  }

  private async whenRoom(bytes: Uint8Array, height: number | undefined): Promise<StatelessBlockResult> {
    const deadline = performance.now() + IMPORT_QUEUE_WAIT_MS;
    for (;;) {
      try {
        return await this.check(bytes, height);
      } catch (error) {
        const full = error instanceof ValidationPoolError && error.code === 'QUEUE_FULL';
        if (!full || performance.now() >= deadline || this.stopped()) throw error;
        await new Promise((resolve) => setTimeout(resolve, IMPORT_QUEUE_RETRY_MS));
      }
    }
  }
}
