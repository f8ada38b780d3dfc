import type { ErrorActionRule } from '@tc/registry';
import { SYNC_ERROR_ACTIONS } from './sync/errors.js';

/**
 * Every consensus rule has its own code. Stateless codes are checked in the worker pool
 * (no chain state needed); stateful codes are checked on the main thread against a chain view.
 */
export const STATELESS_ERROR_CODES = [
  'MALFORMED_BLOCK',
  'MALFORMED_TX',
  'OVERSIZE_BLOCK',
  'OVERSIZE_TX',
  'BAD_FIELD_LENGTH',
  'BAD_BLOCK_VERSION',
  'BAD_TX_VERSION',
  'MISSING_COINBASE',
  'MULTIPLE_COINBASE',
  'BAD_COINBASE',
  'NO_INPUTS',
  'NO_OUTPUTS',
  'BAD_OUTPUT_VALUE',
  'DUPLICATE_INPUT',
  'DUPLICATE_TX',
  'DOUBLE_SPEND_IN_BLOCK',
  'BAD_MERKLE_ROOT',
  'BAD_HEADER_HASH',
  'BAD_TX_SIGNATURE',
  'BAD_PRODUCER_SIGNATURE',
] as const;

export const STATEFUL_ERROR_CODES = [
  'UNKNOWN_PARENT',
  'PARENT_NOT_TIP',
  'BAD_HEIGHT',
  'TIMESTAMP_TOO_OLD',
  'FUTURE_TIMESTAMP',
  'BAD_LEADER_ATTEMPT',
  'WRONG_LEADER',
  'MISSING_OR_SPENT_INPUT',
  'INPUT_KEY_MISMATCH',
  'VALUE_NOT_CONSERVED',
  'COINBASE_OVERPAYS',
  'COINBASE_UNDERPAYS',
] as const;

export type StatelessErrorCode = (typeof STATELESS_ERROR_CODES)[number];
export type StatefulErrorCode = (typeof STATEFUL_ERROR_CODES)[number];
export type ConsensusErrorCode = StatelessErrorCode | StatefulErrorCode;
export type ValidationPhase = 'stateless' | 'stateful';

/** Where in a block a rule failed (when it is about one transaction or input). */
export interface ErrorLocation {
  readonly txIndex?: number;
  readonly inputIndex?: number;
}

/** Base class of every rule violation. `code` is stable and safe to switch on. */
export class ConsensusError extends Error {
  readonly code: ConsensusErrorCode;
  readonly phase: ValidationPhase;
  readonly txIndex: number | undefined;
  readonly inputIndex: number | undefined;

  constructor(phase: ValidationPhase, code: ConsensusErrorCode, message: string, where: ErrorLocation = {}) {
    super(`${code}: ${message}`);
    this.name = new.target.name;
    this.phase = phase;
    this.code = code;
    this.txIndex = where.txIndex;
    this.inputIndex = where.inputIndex;
  }
}

/** A rule that needs no chain state failed (in the pool or inline). */
export class StatelessValidationError extends ConsensusError {
  declare readonly code: StatelessErrorCode;
  constructor(code: StatelessErrorCode, message: string, where: ErrorLocation = {}) {
    super('stateless', code, message, where);
  }
}

/** A rule checked against the chain (parent, schedule, UTXO set) failed. */
export class StatefulValidationError extends ConsensusError {
  declare readonly code: StatefulErrorCode;
  constructor(code: StatefulErrorCode, message: string, where: ErrorLocation = {}) {
    super('stateful', code, message, where);
  }
}

export function isConsensusError(err: unknown): err is ConsensusError {
  return err instanceof ConsensusError;
}

/** The registry's rule type: consensus tables are merged into its ErrorActionTable as they are. */
export type { ErrorActionRule } from '@tc/registry';

const BAN = (description: string): ErrorActionRule => ({ action: 'ban', description });

/**
 * What the peer layer does when a peer sends a block (or transaction) failing a rule.
 * Invalid data is a ban; an unknown parent or a fork block is ignored here and the caller
 * starts a sync; a future timestamp only scores, because honest clock skew produces it.
 */
export const CONSENSUS_ERROR_ACTIONS: Readonly<Record<ConsensusErrorCode, ErrorActionRule>> = {
  MALFORMED_BLOCK: BAN('block bytes do not decode, or a required field is missing'),
  MALFORMED_TX: BAN('transaction bytes do not decode, or a required field is missing'),
  OVERSIZE_BLOCK: BAN('block is larger than maxBlockBytes'),
  OVERSIZE_TX: BAN('transaction is larger than maxTxBytes'),
  BAD_FIELD_LENGTH: BAN('a hash, key or signature field has the wrong length'),
  BAD_BLOCK_VERSION: BAN('unknown block header version'),
  BAD_TX_VERSION: BAN('unknown transaction version'),
  MISSING_COINBASE: BAN('first transaction is not a coinbase'),
  MULTIPLE_COINBASE: BAN('a transaction other than the first has no inputs'),
  BAD_COINBASE: BAN('coinbase nonce is not the block height'),
  NO_INPUTS: BAN('a non-coinbase transaction has no inputs'),
  NO_OUTPUTS: BAN('a transaction has no outputs'),
  BAD_OUTPUT_VALUE: BAN('an output value is zero or the outputs overflow u64'),
  DUPLICATE_INPUT: BAN('a transaction spends the same outpoint twice'),
  DUPLICATE_TX: BAN('a block contains the same txid twice'),
  DOUBLE_SPEND_IN_BLOCK: BAN('two transactions in one block spend the same outpoint'),
  BAD_MERKLE_ROOT: BAN('merkle root does not match the transactions'),
  BAD_HEADER_HASH: BAN('header hash differs from the hash the block was requested or announced by'),
  BAD_TX_SIGNATURE: BAN('an input signature does not verify'),
  BAD_PRODUCER_SIGNATURE: BAN('the producer signature does not verify'),
  UNKNOWN_PARENT: { action: 'ignore', description: 'parent block is unknown; the caller starts a sync' },
  PARENT_NOT_TIP: {
    action: 'ignore',
    description: 'parent is known but not the tip (a fork); fork choice decides',
  },
  BAD_HEIGHT: BAN('height is not parent height + 1'),
  TIMESTAMP_TOO_OLD: BAN('timestamp is before the parent timestamp + slotMs'),
  FUTURE_TIMESTAMP: {
    action: 'score',
    scoreDelta: -10,
    description: 'timestamp is beyond now + futureToleranceMs (may be clock skew; retry later)',
  },
  BAD_LEADER_ATTEMPT: BAN('leader attempt does not match the timestamp'),
  WRONG_LEADER: BAN('producer is not the scheduled leader for this height and attempt'),
  MISSING_OR_SPENT_INPUT: BAN('an input does not exist or is already spent'),
  INPUT_KEY_MISMATCH: BAN("an input's public key does not hash to the spent output's recipient"),
  VALUE_NOT_CONSERVED: BAN('a transaction spends more than its inputs'),
  COINBASE_OVERPAYS: BAN('coinbase pays more than reward + fees'),
  COINBASE_UNDERPAYS: BAN('coinbase pays less than reward + fees'),
  // Range sync's peer codes (SYNC_EMPTY_BATCH, ...): not rule violations, but one table to merge.
  ...SYNC_ERROR_ACTIONS,
};
