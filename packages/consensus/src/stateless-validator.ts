import type { StatelessParams } from './genesis.js';
import { initHashing } from './hashing.js';
import type { SignatureCache } from './sig-cache.js';
import type { StatelessBlockResult, StatelessTxResult } from './stateless.js';
import {
  blockResultOf,
  packSignatures,
  packTransactions,
  packTxids,
  runValidationTask,
  type SignatureItem,
  sigResultsOf,
  txResultsOf,
  type ValidationTask,
} from './validation-task.js';

/** Runs the stateless rules; implemented on the main thread (inline) and by the worker pool. */
export interface StatelessValidator {
  /**
   * Throws StatelessValidationError when a rule fails. `bytes` is not modified or detached.
   * `order`: where the block waits in a pool's queue (the height an import needs it at; lower
   * first, after blocks with none), so an import's next block is checked before later ones.
   */
  validateBlock(
    bytes: Uint8Array,
    params: StatelessParams,
    options?: { expectedHash?: Uint8Array; order?: number },
  ): Promise<StatelessBlockResult>;
  /** One result per transaction (encoded protobuf bytes); transactions fail independently. */
  /** `txids`: ids this node hashed already (same order; undefined where unknown), used as is. */
  validateTransactions(
    txs: readonly Uint8Array[],
    params: StatelessParams,
    txids?: readonly (Uint8Array | undefined)[],
  ): Promise<StatelessTxResult[]>;
  /** Checks each signature by tc's rule (README 2.7): one boolean per item, in order. */
  verifySignatures(items: readonly SignatureItem[]): Promise<boolean[]>;
  /** Whether a task submitted now would be taken (absent: always). */
  canAcceptWork?(): boolean;
  destroy(): Promise<void>;
}

/** The same rules on the calling thread: the bench baseline, and fine for tiny inputs and tools. */
export class InlineValidator implements StatelessValidator {
  /** `sigCache`: a signature cache to read and fill (a pool passes its workers' own); none by default. */
  constructor(readonly sigCache?: SignatureCache) {}

  async validateBlock(
    bytes: Uint8Array,
    params: StatelessParams,
    options: { expectedHash?: Uint8Array } = {},
  ): Promise<StatelessBlockResult> {
    await initHashing();
    return blockResultOf(
      runValidationTask({ kind: 'block', bytes, params, expectedHash: options.expectedHash }, this.sigCache),
    );
  }

  async validateTransactions(
    txs: readonly Uint8Array[],
    params: StatelessParams,
    txids?: readonly (Uint8Array | undefined)[],
  ): Promise<StatelessTxResult[]> {
    await initHashing();
    const known = packTxids(txids, txs.length);
    const task: ValidationTask = {
      kind: 'txs',
      ...packTransactions(txs),
      params,
      ...(known ? { txids: known } : {}),
    };
    return txResultsOf(runValidationTask(task, this.sigCache));
  }

  async verifySignatures(items: readonly SignatureItem[]): Promise<boolean[]> {
    if (items.length === 0) return [];
    return sigResultsOf(runValidationTask({ kind: 'sigs', ...packSignatures(items) }));
  }

  async destroy(): Promise<void> {}
}
