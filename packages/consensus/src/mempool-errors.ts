import type { ErrorActionRule } from '@tc/registry';

export type MempoolErrorCode =
  | 'ALREADY_IN_MEMPOOL'
  | 'MEMPOOL_CONFLICT'
  | 'MEMPOOL_FULL'
  | 'MISSING_INPUT'
  | 'CHAIN_BUSY'
  | 'MEMPOOL_BUSY';

/** Codes that say "not now" rather than "never": the submitter should retry later. */
export const RETRYABLE_MEMPOOL_CODES: ReadonlySet<string> = new Set<MempoolErrorCode>([
  'MEMPOOL_FULL',
  'CHAIN_BUSY',
  'MEMPOOL_BUSY',
]);

/** A transaction was not admitted for a policy reason (not a consensus rule violation). */
export class MempoolError extends Error {
  readonly code: MempoolErrorCode;
  constructor(code: MempoolErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.name = 'MempoolError';
    this.code = code;
  }
}

/** Policy rejections are normal under gossip races; none of them is the sender's fault. */
export const MEMPOOL_ERROR_ACTIONS: Readonly<Record<MempoolErrorCode, ErrorActionRule>> = {
  ALREADY_IN_MEMPOOL: { action: 'ignore', description: 'transaction is already pending' },
  MEMPOOL_CONFLICT: {
    action: 'ignore',
    description: 'spends an output a pending transaction already spends',
  },
  MEMPOOL_FULL: { action: 'ignore', description: 'mempool is full and the fee rate is too low to evict' },
  MISSING_INPUT: {
    action: 'ignore',
    description: 'an input is unknown or spent (races with blocks are normal)',
  },
  CHAIN_BUSY: { action: 'ignore', description: 'the chain kept changing while the transaction was checked' },
  MEMPOOL_BUSY: {
    action: 'ignore',
    description: 'validation is saturated (admission queue full or the pool unavailable): back-pressure',
  },
};
