/**
 * The key-value engine behind a ChainStore. Everything above this interface is engine-agnostic;
 * adding an engine means implementing `KvEngine` and registering it in `engines.ts`.
 * Keys and values are opaque bytes; keys compare bytewise (unsigned, lexicographic).
 */

/** Every table a chain store uses. An engine must keep them apart (named databases, prefixes...). */
export const TABLES = [
  'meta',
  'blocks',
  'headers',
  'heights',
  'undo',
  'txs',
  'utxos',
  'addrs',
  'peers',
  'bans',
  'pending',
  'finality',
] as const;
export type TableName = (typeof TABLES)[number];

export interface KvEntry {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

export interface KvRangeOptions {
  /** Inclusive start key. */
  readonly start?: Uint8Array;
  /** Exclusive end key. */
  readonly end?: Uint8Array;
  readonly reverse?: boolean;
  readonly limit?: number;
}

/** Reads. Values returned are owned by the caller (never reused buffers). */
export interface KvReader {
  get(table: TableName, key: Uint8Array): Uint8Array | undefined;
  /**
   * `decode(value)` of the value at `key`, without copying it first: `value` may be a reused
   * buffer, valid only during the call; `decode` must copy whatever it keeps.
   */
  getWith<T>(table: TableName, key: Uint8Array, decode: (value: Uint8Array) => T): T | undefined;
  /** Entries in key order (or reverse). Iterate it to completion or break; do not keep it. */
  range(table: TableName, options?: KvRangeOptions): Iterable<KvEntry>;
  count(table: TableName): number;
}

export interface KvWriter extends KvReader {
  put(table: TableName, key: Uint8Array, value: Uint8Array): void;
  /** Deletes a key; deleting a missing key is not an error. */
  del(table: TableName, key: Uint8Array): void;
}

export interface KvEngine extends KvReader {
  /** Engine name, e.g. 'lmdb'. */
  readonly kind: string;
  /**
   * Runs `fn` in one synchronous write transaction and commits it durably before returning.
   * Reads inside `fn` see its own writes. If `fn` throws, nothing is written and the error is
   * rethrown (engine failures are thrown as the engine's raw errors; the store maps them).
   */
  write<T>(fn: (tx: KvWriter) => T): T;
  /**
   * The same transaction, committed off the calling thread: `fn` runs on the caller's thread
   * (in order with other writes), and the promise resolves once the commit is durable (or
   * rejects, with nothing written, if `fn` throws). Until then reads do not see the writes.
   * Engines without a background committer may run it as `write`.
   */
  writeAsync?<T>(fn: (tx: KvWriter) => T): Promise<T>;
  /** Runs `fn` against one consistent snapshot; a concurrent commit is either fully seen or not at all. */
  read<T>(fn: (tx: KvReader) => T): T;
  /** Releases the engine. Idempotent. */
  close(): Promise<void>;
}

export interface KvEngineOpenOptions {
  /** Data directory; created if missing. */
  readonly path: string;
}
