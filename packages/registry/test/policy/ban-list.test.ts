import { describe, expect, it } from 'vitest';
import {
  BanList,
  type BanRecord,
  type BanStore,
  ipBanKey,
  MAX_BAN_MS,
  nodeBanKey,
} from '../../src/peer-score/index.js';

/** In-memory store; `fail` makes every call throw (sync) or reject (async). */
class MemoryStore implements BanStore {
  readonly rows = new Map<string, BanRecord>();
  fail: 'sync' | 'async' | undefined;
  constructor(private readonly async = false) {}
  private run<T>(fn: () => T): T | Promise<T> {
    if (this.fail === 'sync') throw new Error('store down');
    if (this.fail === 'async') return Promise.reject(new Error('store down'));
    return this.async ? Promise.resolve().then(fn) : fn();
  }
  listBans() {
    return this.run(() => [...this.rows.values()].map((r) => ({ ...r })));
  }
  putBan(r: BanRecord) {
    return this.run(() => void this.rows.set(r.key, { ...r }));
  }
  deleteBan(key: string) {
    return this.run(() => void this.rows.delete(key));
  }
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

function setup(opts: { store?: BanStore; maxEntries?: number } = {}) {
  let t = 1_000_000;
  const errors: unknown[] = [];
  const list = new BanList({ ...opts, now: () => t, onError: (e) => errors.push(e) });
  return {
    list,
    errors,
    advance: (ms: number) => {
      t += ms;
    },
    now: () => t,
  };
}

describe('ban keys', () => {
  it('normalise node ids and addresses', () => {
    expect(nodeBanKey('ABCDEF')).toBe('node:abcdef');
    expect(ipBanKey('::ffff:10.1.2.3')).toBe('ip:10.1.2.3');
    expect(ipBanKey('2001:DB8:0:0:0:0:0:1')).toBe('ip:2001:db8::1');
    expect(ipBanKey('[::1]')).toBe('ip:::1');
  });
});

describe('BanList', () => {
  it('bans until expiry, checked lazily, and unbans', () => {
    const { list, advance } = setup();
    list.ban('node:aa', 1000, 'FRAME_TOO_LARGE');
    list.ban('ip:1.2.3.4', 5000, 'manual');
    expect(list.isBanned('node:aa')).toBe(true);
    expect(list.isBanned('node:bb')).toBe(false);
    advance(1000);
    expect(list.isBanned('node:aa')).toBe(false);
    expect(list.size()).toBe(1);
    expect(list.list().map((r) => r.key)).toEqual(['ip:1.2.3.4']);
    list.unban('ip:1.2.3.4');
    expect(list.isBanned('ip:1.2.3.4')).toBe(false);
    expect(list.size()).toBe(0);
  });

  it('keeps the longer of two bans and clamps durations', () => {
    const { list, now } = setup();
    list.ban('k', 10_000, 'long');
    list.ban('k', 1_000, 'short');
    expect(list.list()).toEqual([{ key: 'k', untilMs: now() + 10_000, reason: 'long' }]);
    list.ban('k', 20_000, 'longer');
    expect(list.list()[0]).toMatchObject({ untilMs: now() + 20_000, reason: 'longer' });
    list.ban('forever', Number.POSITIVE_INFINITY, 'x');
    list.ban('nan', Number.NaN, 'x');
    list.ban('negative', -5, 'x');
    const byKey = new Map(list.list().map((r) => [r.key, r.untilMs - now()]));
    expect(byKey.get('forever')).toBe(MAX_BAN_MS);
    expect(byKey.get('nan')).toBe(MAX_BAN_MS);
    expect(byKey.get('negative')).toBe(1);
  });

  it('is bounded: drops expired bans first, then the one ending soonest', () => {
    const { list, advance } = setup({ maxEntries: 3 });
    list.ban('a', 100, 'x');
    list.ban('b', 5000, 'x');
    list.ban('c', 3000, 'x');
    list.ban('d', 4000, 'x'); // full: 'a' (ends soonest) goes
    expect(
      list
        .list()
        .map((r) => r.key)
        .sort(),
    ).toEqual(['b', 'c', 'd']);
    advance(3500); // 'c' expired
    list.ban('e', 10_000, 'x');
    expect(list.size()).toBe(3);
    expect(
      list
        .list()
        .map((r) => r.key)
        .sort(),
    ).toEqual(['b', 'd', 'e']);
  });

  it.each([false, true])('persists bans, unbans and expiries (async store: %s)', async (async) => {
    const store = new MemoryStore(async);
    const { list, advance } = setup({ store });
    list.ban('node:aa', 1000, 'r1');
    list.ban('node:bb', 9000, 'r2');
    list.unban('node:bb');
    await flush();
    expect([...store.rows.keys()]).toEqual(['node:aa']);
    advance(1000);
    expect(list.isBanned('node:aa')).toBe(false);
    await flush();
    expect(store.rows.size).toBe(0);
  });

  it('load keeps live bans, drops expired and malformed ones (and deletes them)', async () => {
    const store = new MemoryStore(true);
    const { list, now } = setup({ store, maxEntries: 2 });
    store.rows.set('old', { key: 'old', untilMs: now() - 1, reason: 'x' });
    store.rows.set('bad', { key: 'bad', untilMs: Number.NaN, reason: 'x' });
    store.rows.set('a', { key: 'a', untilMs: now() + 100, reason: 'x' });
    store.rows.set('b', { key: 'b', untilMs: now() + 300, reason: 'x' });
    store.rows.set('c', { key: 'c', untilMs: now() + 200, reason: 'x' });
    await list.load();
    // Over the bound: the two longest-lasting are kept, the rest deleted from the store.
    expect(
      list
        .list()
        .map((r) => r.key)
        .sort(),
    ).toEqual(['b', 'c']);
    await flush();
    expect([...store.rows.keys()].sort()).toEqual(['b', 'c']);
  });

  it('load does not shorten a ban made before it finished', async () => {
    const store = new MemoryStore();
    const { list, now } = setup({ store });
    list.ban('k', 10_000, 'new');
    store.rows.set('k', { key: 'k', untilMs: now() + 10, reason: 'stale' });
    await list.load();
    expect(list.list()[0]?.reason).toBe('new');
  });

  it.each(['sync', 'async'] as const)(
    'never throws for a failing store (%s): errors go to onError',
    async (mode) => {
      const store = new MemoryStore();
      const { list, errors } = setup({ store });
      store.fail = mode;
      expect(() => list.ban('k', 1000, 'x')).not.toThrow();
      expect(() => list.unban('k')).not.toThrow();
      await flush();
      expect(errors).toHaveLength(2);
      await expect(list.load()).rejects.toThrow('store down');
    },
  );

  it('survives an onError that throws', () => {
    const store = new MemoryStore();
    store.fail = 'sync';
    const list = new BanList({
      store,
      onError: () => {
        throw new Error('logger broke');
      },
    });
    expect(() => list.ban('k', 1000, 'x')).not.toThrow();
    expect(list.isBanned('k')).toBe(true);
  });

  it('works without a store and validates maxEntries', async () => {
    const list = new BanList();
    await list.load();
    list.ban('k', 60_000, 'x');
    expect(list.isBanned('k')).toBe(true);
    expect(() => new BanList({ maxEntries: 0 })).toThrow(RangeError);
  });
});
