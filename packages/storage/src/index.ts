/**
 * @tc/storage: the node's embedded chain store. Blocks, the canonical chain, the UTXO set, undo
 * records, the transaction index, the address index, the peer address book and bans live in one LMDB environment
 * behind an engine-neutral interface. Storage computes no consensus hash: callers pass hashes
 * and per-transaction deltas. See README.md for the key layout and the guarantees.
 */
export { DEFAULT_RECIPIENT_UTXOS, MAX_RECIPIENT_BYTES } from './address-index.js';
export { ChainStore } from './chain-store.js';
export type { EngineName } from './engines.js';
export {
  CorruptStoreError,
  DiskFullError,
  EvidenceFullError,
  GenesisMismatchError,
  InvalidCommitError,
  type InvalidCommitReason,
  InvalidFinalityError,
  InvalidRollbackError,
  MigrationError,
  NetworkMismatchError,
  PendingTxsFullError,
  SchemaTooNewError,
  StorageError,
  type StorageErrorCode,
  StorageIoError,
  StoreClosedError,
  StoreLockedError,
  StoreReadOnlyError,
} from './errors.js';
export { type FinalityUpdate, MAX_CERTIFICATE_BYTES, MAX_EVIDENCE_BYTES } from './finality-records.js';
export type { KvEntry, KvRangeOptions, KvReader, KvWriter, TableName } from './kv-engine.js';
export { DEFAULT_STORAGE_LIMITS, resolveStorageLimits, type StorageLimits } from './limits.js';
export { LOCK_FILE_NAME } from './lock-file.js';
export { BUILTIN_MIGRATIONS, type Migration, type Migrations, SCHEMA_VERSION } from './meta.js';
export { type OpenChainStoreOptions, openChainStore } from './open.js';
export type { PendingTxRecord } from './pending-txs.js';
export type {
  BanRecord,
  ChainTip,
  CommitBlockInput,
  Outpoint,
  PeerRecord,
  RolledBackBlock,
  StoredBlock,
  StoredHeader,
  StoreStats,
  TxDelta,
  TxLocation,
  TxOutput,
  Utxo,
} from './types.js';
