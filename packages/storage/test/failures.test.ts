import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { mapEngineError } from '../src/error-map.js';
import {
  type ChainStore,
  DiskFullError,
  StorageIoError,
  StoreLockedError,
  StoreReadOnlyError,
} from '../src/index.js';
import type { KvEngine, KvEngineOpenOptions, KvWriter } from '../src/kv-engine.js';
import { LmdbEngine } from '../src/lmdb-engine.js';
import { openWithEngine } from '../src/open.js';
import { NETWORK_ID, replayUtxos, SyntheticChain } from './fixtures/synthetic-chain.mjs';
import { commitUpTo, dumpTables, openTestStore, rejected, storeUtxos, TempDirs, thrown } from './helpers.js';

const temp = new TempDirs();
const stores: ChainStore[] = [];
const mounts: string[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});
afterAll(() => {
  for (const dir of mounts.splice(0)) tryRun('umount', [dir]) || tryRun('umount', ['-l', dir]);
  temp.cleanup();
});
const chain = new SyntheticChain({ seed: 41, txsPerBlock: 30, recipientBytes: 200 });

function tryRun(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore', timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
}

/** A small tmpfs, when this process may mount one (root on Linux); otherwise undefined. */
function smallTmpfs(size: string): string | undefined {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return undefined;
  const dir = temp.make('tc-storage-mnt-');
  if (!tryRun('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir])) return undefined;
  mounts.push(dir);
  return dir;
}

/** Wraps LMDB; the Nth put of a write transaction throws `error` (a simulated engine failure). */
class FaultyEngine implements KvEngine {
  readonly kind = 'faulty-lmdb';
  failAtPut: number | undefined;
  constructor(
    private readonly inner: LmdbEngine,
    private readonly error: () => Error,
  ) {}
  get: KvEngine['get'] = (t, k) => this.inner.get(t, k);
  getWith: KvEngine['getWith'] = (t, k, d) => this.inner.getWith(t, k, d);
  range: KvEngine['range'] = (t, o) => this.inner.range(t, o);
  count: KvEngine['count'] = (t) => this.inner.count(t);
  read: KvEngine['read'] = (fn) => this.inner.read(fn);
  close = () => this.inner.close();
  write<T>(fn: (tx: KvWriter) => T): T {
    let puts = 0;
    return this.inner.write((tx) =>
      fn({
        ...tx,
        put: (t, k, v) => {
          if (this.failAtPut !== undefined && ++puts >= this.failAtPut) throw this.error();
          tx.put(t, k, v);
        },
      }),
    );
  }
}

describe('failures', () => {
  it('maps engine and file-system errors to typed errors', () => {
    const err = (code: number | string, message = 'x') => Object.assign(new Error(message), { code });
    expect(
      mapEngineError(err(-30792, 'MDB_MAP_FULL: Environment mapsize limit reached'), '/d'),
    ).toBeInstanceOf(DiskFullError);
    expect(mapEngineError(err(28), '/d')).toBeInstanceOf(DiskFullError);
    expect(mapEngineError(err('ENOSPC'), '/d')).toBeInstanceOf(DiskFullError);
    expect(mapEngineError(err(13), '/d')).toBeInstanceOf(StoreReadOnlyError);
    expect(mapEngineError(err('EROFS'), '/d')).toBeInstanceOf(StoreReadOnlyError);
    expect(mapEngineError(err(11), '/d')).toBeInstanceOf(StoreLockedError);
    expect(mapEngineError(err(5, 'Input/output error'), '/d')).toBeInstanceOf(StorageIoError);
    const plain = new TypeError('bug');
    expect(mapEngineError(plain, '/d')).toBe(plain);
  });

  it('an engine failure in the middle of a commit writes nothing and surfaces as a typed error', async () => {
    const path = temp.make();
    let engine: FaultyEngine | undefined;
    const enospc = () => Object.assign(new Error('No space left on device'), { code: 28 });
    const factory = (o: KvEngineOpenOptions) => {
      engine = new FaultyEngine(new LmdbEngine(o), enospc);
      return engine;
    };
    let store = await openWithEngine(
      { path, networkId: NETWORK_ID, genesisHash: chain.genesisHash },
      factory,
    );
    commitUpTo(store, chain, 3);
    await store.close();
    const before = await dumpTables(path);
    store = await openWithEngine({ path, networkId: NETWORK_ID, genesisHash: chain.genesisHash }, factory);
    stores.push(store);
    for (const failAt of [1, 5, 20, 40]) {
      engine!.failAtPut = failAt;
      const e = thrown(() => store.commitBlock(chain.at(4)));
      expect(e).toBeInstanceOf(DiskFullError);
      expect((e as DiskFullError).code).toBe('DISK_FULL');
    }
    engine!.failAtPut = undefined;
    await store.close();
    expect(await dumpTables(path)).toEqual(before);
  });

  it('a full disk gives DiskFullError, keeps the store consistent, and lets the caller stop cleanly', async (ctx) => {
    const mount = smallTmpfs('3m');
    if (mount === undefined) return ctx.skip();
    const path = join(mount, 'store');
    const store = await openTestStore(path, chain);
    stores.push(store);
    let error: unknown;
    let h = 0;
    for (; h < 2_000; h++) {
      try {
        store.commitBlock(chain.at(h));
      } catch (e) {
        error = e;
        break;
      }
    }
    expect(error).toBeInstanceOf(DiskFullError);
    expect(store.getTip()?.height).toBe(h - 1);
    expect(storeUtxos(store)).toEqual(replayUtxos(chain.inputs.slice(0, h)));
    await store.close();
    const reopened = await openTestStore(path, chain);
    stores.push(reopened);
    expect(reopened.getTip()?.height).toBe(h - 1);
    expect(storeUtxos(reopened)).toEqual(replayUtxos(chain.inputs.slice(0, h)));
  });

  it('a read-only directory gives StoreReadOnlyError', async (ctx) => {
    const mount = smallTmpfs('4m');
    let path: string;
    if (mount !== undefined) {
      path = join(mount, 'store');
      await (await openTestStore(path, chain)).close();
      if (!tryRun('mount', ['-o', 'remount,ro', mount])) return ctx.skip();
    } else {
      if (process.getuid?.() === 0) return ctx.skip(); // root ignores permission bits
      path = join(temp.make(), 'store');
      mkdirSync(path);
      await (await openTestStore(path, chain)).close();
      chmodSync(path, 0o555);
    }
    const err = await rejected(openTestStore(path, chain));
    expect(err).toBeInstanceOf(StoreReadOnlyError);
    expect((err as StoreReadOnlyError).code).toBe('STORE_READ_ONLY');
    if (mount === undefined) chmodSync(path, 0o755);
  });
});
