import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { HASH_BYTES, utf8 } from './bytes.js';
import { ChainStore } from './chain-store.js';
import { ENGINES, type EngineName } from './engines.js';
import { mapEngineError } from './error-map.js';
import type { KvEngine, KvEngineOpenOptions } from './kv-engine.js';
import { resolveStorageLimits, type StorageLimits } from './limits.js';
import { DirectoryLock } from './lock-file.js';
import { initOrCheckMeta, type Migrations } from './meta.js';
import { PeerBook } from './peer-book.js';

export interface OpenChainStoreOptions {
  /** Data directory; created if missing. One store per directory (pid lock file). */
  readonly path: string;
  /** Network the store belongs to (1..64 UTF-8 bytes); another network's store is refused. */
  readonly networkId: string;
  /** 32-byte genesis hash; a store made with another genesis is refused. */
  readonly genesisHash: Uint8Array;
  /** Migrations for stores with an older schema version, keyed by the version they start from. */
  readonly migrations?: Migrations;
  /** Storage engine; only 'lmdb' (the default) exists today. */
  readonly engine?: EngineName;
  readonly limits?: Partial<StorageLimits>;
  /** Clock for ban expiry (ms since the epoch); defaults to Date.now. */
  readonly now?: () => number;
}

/**
 * Opens (creating if needed) the chain store in `options.path`. Refuses a store of another
 * network (NetworkMismatchError), another genesis (GenesisMismatchError) or a newer schema
 * (SchemaTooNewError); migrates an older schema; maps lock, permission and space failures to
 * StoreLockedError / StoreReadOnlyError / DiskFullError.
 */
export async function openChainStore(options: OpenChainStoreOptions): Promise<ChainStore> {
  const engineName = options.engine ?? 'lmdb';
  const factory = ENGINES[engineName];
  if (factory === undefined) throw new RangeError(`unknown storage engine '${String(engineName)}'`);
  return openWithEngine(options, factory);
}

/** Opening with an explicit engine factory (tests inject faulty engines through this). */
export async function openWithEngine(
  options: OpenChainStoreOptions,
  factory: (o: KvEngineOpenOptions) => KvEngine,
): Promise<ChainStore> {
  checkOptions(options);
  const path = resolve(options.path);
  const limits = resolveStorageLimits(options.limits);
  const now = options.now ?? Date.now;
  try {
    mkdirSync(path, { recursive: true });
  } catch (error) {
    throw mapEngineError(error, path);
  }
  const lock = DirectoryLock.acquire(path);
  let engine: KvEngine | undefined;
  try {
    engine = factory({ path });
    const opened = engine;
    const write = <T>(fn: Parameters<KvEngine['write']>[0]) => opened.write(fn) as T;
    initOrCheckMeta(write, opened, {
      networkId: options.networkId,
      genesisHash: options.genesisHash,
      migrations: options.migrations ?? {},
    });
    new PeerBook(write, opened, limits, now).pruneExpiredBans();
    return new ChainStore({
      path,
      networkId: options.networkId,
      genesisHash: Uint8Array.from(options.genesisHash),
      limits,
      now,
      engine: opened,
      lock,
    });
  } catch (error) {
    await engine?.close().catch(() => undefined);
    lock.release();
    throw mapEngineError(error, path);
  }
}

function checkOptions(options: OpenChainStoreOptions): void {
  if (typeof options?.path !== 'string' || options.path.length === 0) {
    throw new RangeError('path must be a non-empty string');
  }
  if (typeof options.networkId !== 'string') throw new RangeError('networkId must be a string');
  const networkBytes = utf8(options.networkId).byteLength;
  if (networkBytes < 1 || networkBytes > 64) throw new RangeError('networkId must be 1..64 UTF-8 bytes');
  if (!(options.genesisHash instanceof Uint8Array) || options.genesisHash.byteLength !== HASH_BYTES) {
    throw new RangeError('genesisHash must be 32 bytes');
  }
}
