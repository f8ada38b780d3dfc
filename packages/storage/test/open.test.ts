import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { open } from 'lmdb';
import { afterEach, describe, expect, it } from 'vitest';
import {
  GenesisMismatchError,
  LOCK_FILE_NAME,
  MigrationError,
  NetworkMismatchError,
  openChainStore,
  SCHEMA_VERSION,
  SchemaTooNewError,
  StoreLockedError,
} from '../src/index.js';
import { hex, NETWORK_ID, SyntheticChain } from './fixtures/synthetic-chain.mjs';
import { commitUpTo, openTestStore, rejected, TempDirs } from './helpers.js';

const temp = new TempDirs();
afterEach(() => temp.cleanup());
const chain = new SyntheticChain({ seed: 21 });

/** Sets meta/schemaVersion of a closed store directly through lmdb. */
async function setSchemaVersion(path: string, version: number): Promise<void> {
  const root = open({ path, maxDbs: 12 });
  const meta = root.openDB<Buffer, Buffer>({ name: 'meta', keyEncoding: 'binary', encoding: 'binary' });
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32LE(version);
  meta.putSync(Buffer.from('schemaVersion'), bytes);
  await root.close();
}

describe('opening', () => {
  it('reopens with the same network and genesis and keeps the chain', async () => {
    const path = temp.make();
    const s = await openTestStore(path, chain);
    commitUpTo(s, chain, 4);
    await s.close();
    const again = await openTestStore(path, chain);
    expect(again.getTip()?.height).toBe(4);
    await again.close();
  });

  it('refuses another network with an error naming both', async () => {
    const path = temp.make();
    await (await openTestStore(path, chain)).close();
    const err = await rejected(openTestStore(path, chain, { networkId: 'tc-mainnet' }));
    expect(err).toBeInstanceOf(NetworkMismatchError);
    expect((err as NetworkMismatchError).code).toBe('NETWORK_MISMATCH');
    expect((err as Error).message).toContain(NETWORK_ID);
    expect((err as Error).message).toContain('tc-mainnet');
    // The refused open released everything: the right network still opens.
    await (await openTestStore(path, chain)).close();
  });

  it('refuses another genesis with an error naming both hashes in hex', async () => {
    const path = temp.make();
    await (await openTestStore(path, chain)).close();
    const other = new SyntheticChain({ seed: 22 }).genesisHash;
    const err = await rejected(openTestStore(path, chain, { genesisHash: other }));
    expect(err).toBeInstanceOf(GenesisMismatchError);
    expect((err as Error).message).toContain(hex(other));
    expect((err as Error).message).toContain(hex(chain.genesisHash));
  });

  it('refuses a newer schema version', async () => {
    const path = temp.make();
    await (await openTestStore(path, chain)).close();
    await setSchemaVersion(path, SCHEMA_VERSION + 1);
    const err = await rejected(openTestStore(path, chain));
    expect(err).toBeInstanceOf(SchemaTooNewError);
    expect((err as SchemaTooNewError).found).toBe(SCHEMA_VERSION + 1);
  });

  it('runs the migration hook for an older schema version, once', async () => {
    const path = temp.make();
    const s = await openTestStore(path, chain);
    commitUpTo(s, chain, 2);
    await s.close();
    await setSchemaVersion(path, SCHEMA_VERSION - 1);
    let runs = 0;
    const migrations = {
      [SCHEMA_VERSION - 1]: (tx: { put(t: 'meta', k: Uint8Array, v: Uint8Array): void }) => {
        runs++;
        tx.put('meta', Buffer.from('migrated'), Buffer.from([1]));
      },
    };
    const migrated = await openTestStore(path, chain, { migrations });
    expect(runs).toBe(1);
    expect(migrated.getTip()?.height).toBe(2);
    await migrated.close();
    await (await openTestStore(path, chain, { migrations })).close();
    expect(runs).toBe(1);
  });

  it('refuses an older schema without a migration, and keeps it unchanged when a migration throws', async () => {
    const path = temp.make();
    await (await openTestStore(path, chain)).close();
    // Version 0 has no built-in migration (1 → 2 has one: the address index).
    await setSchemaVersion(path, 0);
    expect(await rejected(openTestStore(path, chain))).toBeInstanceOf(MigrationError);
    const failing = {
      0: (tx: { put(t: 'meta', k: Uint8Array, v: Uint8Array): void }) => {
        tx.put('meta', Buffer.from('half'), Buffer.from([1]));
        throw new Error('boom');
      },
    };
    const err = await rejected(openTestStore(path, chain, { migrations: failing }));
    expect(err).toBeInstanceOf(MigrationError);
    expect((err as Error).message).toContain('boom');
    let ran = false;
    const markRan = () => {
      ran = true;
    };
    await (await openTestStore(path, chain, { migrations: { 0: markRan } })).close();
    expect(ran).toBe(true);
  });

  it('refuses a second open of the same directory in this process', async () => {
    const path = temp.make();
    const s = await openTestStore(path, chain);
    const err = await rejected(openTestStore(path, chain));
    expect(err).toBeInstanceOf(StoreLockedError);
    expect((err as StoreLockedError).code).toBe('STORE_LOCKED');
    await s.close();
    await (await openTestStore(path, chain)).close();
  });

  it('refuses a directory locked by another live process, and takes over a dead one', async () => {
    const path = temp.make();
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)'], { stdio: 'ignore' });
    try {
      writeFileSync(join(path, LOCK_FILE_NAME), `${child.pid}\n`);
      expect(await rejected(openTestStore(path, chain))).toBeInstanceOf(StoreLockedError);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    const s = await openTestStore(path, chain);
    expect(s.getTip()).toBeUndefined();
    await s.close();
  });

  it('close is idempotent and bounded', async () => {
    const s = await openTestStore(temp.make(), chain);
    const first = s.close();
    expect(s.close()).toBe(first);
    await first;
    expect(s.closed).toBe(true);
  });

  it('validates its options', async () => {
    const path = temp.make();
    await expect(openChainStore({ path, networkId: '', genesisHash: chain.genesisHash })).rejects.toThrow(
      RangeError,
    );
    await expect(openChainStore({ path, networkId: 'x', genesisHash: new Uint8Array(3) })).rejects.toThrow(
      RangeError,
    );
    await expect(
      openChainStore({ path, networkId: 'x', genesisHash: chain.genesisHash, limits: { maxBans: 0 } }),
    ).rejects.toThrow(RangeError);
    await expect(
      openChainStore({
        path,
        networkId: 'x',
        genesisHash: chain.genesisHash,
        limits: { maxKeyBytes: 5_000 },
      }),
    ).rejects.toThrow(RangeError);
  });
});
