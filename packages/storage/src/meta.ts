import { buildAddressIndex } from './address-index.js';
import { ByteReader, ByteWriter, bytesEqual, fromUtf8, toHex, utf8 } from './bytes.js';
import {
  CorruptStoreError,
  GenesisMismatchError,
  MigrationError,
  NetworkMismatchError,
  SchemaTooNewError,
} from './errors.js';
import type { KvReader, KvWriter } from './kv-engine.js';
import { decodeTip } from './records.js';
import type { ChainTip } from './types.js';

/** Schema version this build writes. Bump it, and add a migration, whenever the layout changes. */
export const SCHEMA_VERSION = 2;

export const META_SCHEMA_VERSION = utf8('schemaVersion');
export const META_NETWORK_ID = utf8('networkId');
export const META_GENESIS_HASH = utf8('genesisHash');
export const META_TIP = utf8('tip');

/**
 * A migration from schema version `v` to `v + 1`, keyed by `v`. It runs inside one write
 * transaction together with the version bump, so a failed or interrupted migration leaves the
 * store at version `v`. It gets raw table access (see README "Key layout").
 */
export type Migration = (tx: KvWriter) => void;
export type Migrations = Readonly<Record<number, Migration>>;

/**
 * The store's own migrations, keyed like `Migrations`. A step runs the built-in migration first
 * (if any), then the caller's hook for the same version (if any), in the same transaction.
 * - 1 → 2: builds the address index (`addrs`) from the UTXO set.
 */
export const BUILTIN_MIGRATIONS: Migrations = Object.freeze({ 1: buildAddressIndex });

export interface MetaCheck {
  readonly networkId: string;
  readonly genesisHash: Uint8Array;
  readonly migrations: Migrations;
}

export function readTip(tx: KvReader): ChainTip | undefined {
  const bytes = tx.get('meta', META_TIP);
  if (bytes === undefined) return undefined;
  try {
    return decodeTip(bytes);
  } catch (cause) {
    throw new CorruptStoreError('meta/tip does not decode', { cause });
  }
}

export function readSchemaVersion(tx: KvReader): number | undefined {
  const bytes = tx.get('meta', META_SCHEMA_VERSION);
  if (bytes === undefined) return undefined;
  if (bytes.byteLength !== 4) throw new CorruptStoreError('meta/schemaVersion is not 4 bytes');
  return new ByteReader(bytes).u32();
}

function writeSchemaVersion(tx: KvWriter, version: number): void {
  tx.put('meta', META_SCHEMA_VERSION, new ByteWriter(4).u32(version).finish());
}

/**
 * Initialises an empty store, or checks an existing one: a newer schema is refused before anything
 * else is read; then network, then genesis; then an older schema is migrated one step per
 * transaction. `meta/schemaVersion`, `meta/networkId` and `meta/genesisHash` keep their layout in
 * every schema version, so these checks never depend on a migration.
 */
export function initOrCheckMeta(
  write: <T>(fn: (tx: KvWriter) => T) => T,
  read: KvReader,
  check: MetaCheck,
): void {
  const version = readSchemaVersion(read);
  if (version === undefined) {
    write((tx) => {
      if (readSchemaVersion(tx) !== undefined) return; // raced with another opener
      writeSchemaVersion(tx, SCHEMA_VERSION);
      tx.put('meta', META_NETWORK_ID, utf8(check.networkId));
      tx.put('meta', META_GENESIS_HASH, check.genesisHash);
    });
  }
  let current = readSchemaVersion(read) ?? SCHEMA_VERSION;
  if (current > SCHEMA_VERSION) throw new SchemaTooNewError(current, SCHEMA_VERSION);
  const networkBytes = read.get('meta', META_NETWORK_ID);
  const genesis = read.get('meta', META_GENESIS_HASH);
  if (networkBytes === undefined || genesis === undefined) {
    throw new CorruptStoreError('meta/networkId or meta/genesisHash is missing');
  }
  const network = fromUtf8(networkBytes);
  if (network !== check.networkId) throw new NetworkMismatchError(check.networkId, network);
  if (!bytesEqual(genesis, check.genesisHash)) {
    throw new GenesisMismatchError(toHex(check.genesisHash), toHex(genesis));
  }
  while (current < SCHEMA_VERSION) {
    const from = current;
    const builtin = BUILTIN_MIGRATIONS[from];
    const hook = check.migrations[from];
    if (builtin === undefined && hook === undefined) {
      throw new MigrationError(from, `no migration to version ${from + 1}`);
    }
    try {
      write((tx) => {
        builtin?.(tx);
        hook?.(tx);
        writeSchemaVersion(tx, from + 1);
      });
    } catch (cause) {
      throw new MigrationError(from, cause instanceof Error ? cause.message : String(cause), { cause });
    }
    current = from + 1;
  }
}
