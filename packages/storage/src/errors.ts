export type StorageErrorCode =
  | 'NETWORK_MISMATCH'
  | 'GENESIS_MISMATCH'
  | 'SCHEMA_TOO_NEW'
  | 'MIGRATION_FAILED'
  | 'STORE_LOCKED'
  | 'STORE_READ_ONLY'
  | 'DISK_FULL'
  | 'IO_ERROR'
  | 'INVALID_COMMIT'
  | 'INVALID_ROLLBACK'
  | 'CORRUPT_STORE'
  | 'STORE_CLOSED'
  | 'PENDING_TXS_FULL'
  | 'INVALID_FINALITY'
  | 'EVIDENCE_FULL';

/** Base class of every error @tc/storage throws. `code` is stable and safe to switch on. */
export class StorageError extends Error {
  readonly code: StorageErrorCode;
  constructor(code: StorageErrorCode, message: string, options?: { cause?: unknown }) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/** The store was created for another network. Names both. */
export class NetworkMismatchError extends StorageError {
  constructor(
    readonly expected: string,
    readonly found: string,
  ) {
    super(
      'NETWORK_MISMATCH',
      `store belongs to network '${found}', but network '${expected}' was requested; use another data directory`,
    );
  }
}

/** The store was created with another genesis block. Names both hashes in hex. */
export class GenesisMismatchError extends StorageError {
  constructor(
    readonly expected: string,
    readonly found: string,
  ) {
    super(
      'GENESIS_MISMATCH',
      `store has genesis ${found}, but genesis ${expected} was requested; use another data directory`,
    );
  }
}

/** The store was written by a newer version of @tc/storage; it is never downgraded. */
export class SchemaTooNewError extends StorageError {
  constructor(
    readonly found: number,
    readonly supported: number,
  ) {
    super('SCHEMA_TOO_NEW', `store schema version ${found} is newer than the supported version ${supported}`);
  }
}

/** An older store could not be migrated (no migration for a step, or the migration threw). */
export class MigrationError extends StorageError {
  constructor(
    readonly fromVersion: number,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super('MIGRATION_FAILED', `migration from schema version ${fromVersion} failed: ${reason}`, options);
  }
}

/** Another process (or another open store in this process) holds the data directory. */
export class StoreLockedError extends StorageError {
  constructor(
    readonly path: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super('STORE_LOCKED', `store at ${path} is locked: ${reason}`, options);
  }
}

/** The data directory or its files cannot be written (EACCES, EPERM, EROFS). */
export class StoreReadOnlyError extends StorageError {
  constructor(
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super('STORE_READ_ONLY', `store at ${path} is not writable: ${causeText(options?.cause)}`, options);
  }
}

/** The disk (or the LMDB map) is full (ENOSPC, EDQUOT, MDB_MAP_FULL). Nothing of the failed write is kept. */
export class DiskFullError extends StorageError {
  constructor(
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super('DISK_FULL', `store at ${path} is out of space: ${causeText(options?.cause)}`, options);
  }
}

/** Any other engine or file-system failure. Nothing of the failed write is kept. */
export class StorageIoError extends StorageError {
  constructor(
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super('IO_ERROR', `store at ${path} failed: ${causeText(options?.cause)}`, options);
  }
}

export type InvalidCommitReason =
  | 'BAD_HEIGHT'
  | 'BAD_PREV_HASH'
  | 'BAD_GENESIS'
  | 'MISSING_UTXO'
  | 'DUPLICATE_BLOCK'
  | 'DUPLICATE_TXID'
  | 'MALFORMED_INPUT';

/**
 * `commitBlock`, `commitBlocks` or `reorg` refused an input. The store is unchanged (a batch or a
 * reorg is refused as a whole). `blockIndex` is the refused input's index in a batch or in
 * `reorg`'s `commits` (undefined for `commitBlock`).
 */
export class InvalidCommitError extends StorageError {
  constructor(
    readonly reason: InvalidCommitReason,
    readonly detail: string,
    readonly blockIndex?: number,
  ) {
    super(
      'INVALID_COMMIT',
      `cannot commit ${blockIndex === undefined ? 'block' : `block ${blockIndex} of the batch`}: ${reason}: ${detail}`,
    );
  }
}

/**
 * `rollbackTo` or `reorg` was given a height that is not in [0, tip] (or, for `reorg`, more than
 * `maxBatchBlocks` below the tip). The store is unchanged.
 */
export class InvalidRollbackError extends StorageError {
  constructor(detail: string) {
    super('INVALID_ROLLBACK', `cannot roll back: ${detail}`);
  }
}

/** A record on disk does not decode, or the indexes disagree. The store needs a resync. */
export class CorruptStoreError extends StorageError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super('CORRUPT_STORE', `store is corrupt: ${detail}`, options);
  }
}

/** The store was closed (or is closing). */
export class StoreClosedError extends StorageError {
  constructor() {
    super('STORE_CLOSED', 'store is closed');
  }
}

function causeText(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  return cause === undefined ? 'unknown cause' : String(cause);
}

/** `putPendingTxsAsync` would pass `maxPendingTxs`; nothing of that call was written. */
export class PendingTxsFullError extends StorageError {
  constructor(
    readonly stored: number,
    readonly adding: number,
    readonly max: number,
  ) {
    super(
      'PENDING_TXS_FULL',
      `${stored} accepted transactions stored; ${adding} more exceed maxPendingTxs ${max}`,
    );
  }
}

/**
 * A finality write or a chain write that finality forbids: finalizing a block that is not the
 * stored chain's, moving the finalized block down, or a rollback or reorg below it. Nothing written.
 */
export class InvalidFinalityError extends StorageError {
  constructor(detail: string) {
    super('INVALID_FINALITY', `finality: ${detail}`);
  }
}

/** `putEvidence` would pass `maxEvidence` records; nothing was written. */
export class EvidenceFullError extends StorageError {
  constructor(readonly max: number) {
    super('EVIDENCE_FULL', `${max} pieces of evidence stored (maxEvidence)`);
  }
}
