import { type Database, open, type RootDatabase } from 'lmdb';
import {
  type KvEngine,
  type KvEngineOpenOptions,
  type KvEntry,
  type KvRangeOptions,
  type KvReader,
  type KvWriter,
  TABLES,
  type TableName,
} from './kv-engine.js';

type Table = Database<Uint8Array, Buffer>;

/**
 * LMDB through `lmdb` 3.5: one environment (one `data.mdb` + `lock.mdb` in the data directory),
 * one named database per table, binary keys and values.
 *
 * `write` uses `transactionSync`: the callback runs inside one LMDB write transaction that is
 * aborted if it throws, and committed with a full sync (data pages, then the meta page) before
 * `transactionSync` returns. `writeAsync` (block commits) uses `transaction`: the same callback
 * and the same full sync, but the commit runs on lmdb's write thread and a promise reports it.
 */
export class LmdbEngine implements KvEngine {
  readonly kind = 'lmdb';
  private readonly root: RootDatabase;
  private readonly tables: Record<TableName, Table>;
  private closing: Promise<void> | undefined;

  constructor(options: KvEngineOpenOptions) {
    this.root = open({ path: options.path, maxDbs: TABLES.length + 2 });
    try {
      const tables = {} as Record<TableName, Table>;
      for (const name of TABLES) {
        tables[name] = this.root.openDB<Uint8Array, Buffer>({
          name,
          keyEncoding: 'binary',
          encoding: 'binary',
        });
      }
      this.tables = tables;
    } catch (error) {
      this.root.close().catch(() => undefined);
      throw error;
    }
  }

  get(table: TableName, key: Uint8Array): Uint8Array | undefined {
    return this.tables[table].get(asBuffer(key));
  }

  getWith<T>(table: TableName, key: Uint8Array, decode: (value: Uint8Array) => T): T | undefined {
    const value = this.tables[table].getBinaryFast(asBuffer(key));
    return value === undefined ? undefined : decode(value);
  }

  range(table: TableName, options: KvRangeOptions = {}): Iterable<KvEntry> {
    const { start, end, reverse, limit } = options;
    return this.tables[table].getRange({
      start: start === undefined ? undefined : asBuffer(start),
      end: end === undefined ? undefined : asBuffer(end),
      reverse,
      limit,
    }) as Iterable<KvEntry>;
  }

  count(table: TableName): number {
    return this.tables[table].getCount();
  }

  write<T>(fn: (tx: KvWriter) => T): T {
    return this.root.transactionSync(() => fn(this.writer())) as T;
  }

  /**
   * lmdb-js's asynchronous transaction: the callback runs on this thread when the transaction
   * starts, and the commit, fsync included, happens on lmdb's write thread, so a block commit
   * no longer stalls the event loop for the disk.
   */
  writeAsync<T>(fn: (tx: KvWriter) => T): Promise<T> {
    return this.root.childTransaction(() => fn(this.writer())) as Promise<T>;
  }

  private writer(): KvWriter {
    const tables = this.tables;
    const writer: KvWriter = {
      get: (table, key) => this.get(table, key),
      getWith: (table, key, decode) => this.getWith(table, key, decode),
      range: (table, options) => this.range(table, options),
      count: (table) => this.count(table),
      put: (table, key, value) => {
        tables[table].putSync(asBuffer(key), value);
      },
      del: (table, key) => {
        tables[table].removeSync(asBuffer(key));
      },
    };
    return writer;
  }

  read<T>(fn: (tx: KvReader) => T): T {
    // lmdb-js serves every read of one synchronous run from the same read transaction (it is
    // renewed on the next event turn or after a write commits), so `fn` sees one snapshot.
    return fn(this);
  }

  close(): Promise<void> {
    this.closing ??= this.root.close();
    return this.closing;
  }
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
