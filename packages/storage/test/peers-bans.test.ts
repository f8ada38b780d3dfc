import { afterEach, describe, expect, it } from 'vitest';
import type { BanRecord, ChainStore, PeerRecord } from '../src/index.js';
import { SyntheticChain } from './fixtures/synthetic-chain.mjs';
import { openTestStore, TempDirs, thrown } from './helpers.js';

const temp = new TempDirs();
const stores: ChainStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  temp.cleanup();
});
const chain = new SyntheticChain({ seed: 31 });

/** The structural interfaces @tc/registry consumes; the store must satisfy them as is. */
interface BanStore {
  listBans(): BanRecord[];
  putBan(r: BanRecord): void;
  deleteBan(key: string): void;
}
interface AddressBook {
  listPeers(): PeerRecord[];
  putPeer(r: PeerRecord): void;
  deletePeer(address: string): void;
}

async function fresh(limits: { maxBans?: number; maxPeers?: number } = {}, clock = { now: 1_000 }) {
  const path = temp.make();
  const store = await openTestStore(path, chain, { limits, now: () => clock.now });
  stores.push(store);
  return { store, path, clock };
}

describe('bans', () => {
  it('puts, lists, replaces and deletes bans, and keeps them across reopen', async () => {
    const { store, path } = await fresh();
    const bans: BanStore = store;
    bans.putBan({ key: 'node:abcd', untilMs: 5_000, reason: 'bad handshake' });
    bans.putBan({ key: 'ip:10.0.0.1', untilMs: 9_000, reason: 'flood' });
    bans.putBan({ key: 'node:abcd', untilMs: 7_000, reason: 'again' });
    expect(bans.listBans()).toEqual([
      { key: 'ip:10.0.0.1', untilMs: 9_000, reason: 'flood' },
      { key: 'node:abcd', untilMs: 7_000, reason: 'again' },
    ]);
    bans.deleteBan('ip:10.0.0.1');
    bans.deleteBan('ip:not-there');
    await store.close();
    const again = await openTestStore(path, chain, { now: () => 1_000 });
    stores.push(again);
    expect(again.listBans()).toEqual([{ key: 'node:abcd', untilMs: 7_000, reason: 'again' }]);
  });

  it('hides expired bans and prunes them', async () => {
    const { store, clock } = await fresh();
    store.putBan({ key: 'ip:a', untilMs: 2_000, reason: '' });
    store.putBan({ key: 'ip:b', untilMs: 4_000, reason: '' });
    clock.now = 3_000;
    expect(store.listBans().map((b) => b.key)).toEqual(['ip:b']);
    expect(store.pruneExpiredBans()).toBe(1);
    expect(store.stats().bans).toBe(1);
  });

  it('is bounded: at maxBans, expired bans go first, then the one expiring soonest', async () => {
    const { store, clock } = await fresh({ maxBans: 3 });
    store.putBan({ key: 'ip:1', untilMs: 50_000, reason: '' });
    store.putBan({ key: 'ip:2', untilMs: 1_500, reason: '' });
    store.putBan({ key: 'ip:3', untilMs: 90_000, reason: '' });
    clock.now = 2_000;
    store.putBan({ key: 'ip:4', untilMs: 60_000, reason: '' });
    expect(store.listBans().map((b) => b.key)).toEqual(['ip:1', 'ip:3', 'ip:4']);
    store.putBan({ key: 'ip:5', untilMs: 70_000, reason: '' });
    expect(store.listBans().map((b) => b.key)).toEqual(['ip:3', 'ip:4', 'ip:5']);
    store.putBan({ key: 'ip:5', untilMs: 80_000, reason: 'update, no eviction' });
    expect(store.stats().bans).toBe(3);
  });

  it('validates records and truncates long reasons', async () => {
    const { store } = await fresh();
    expect(thrown(() => store.putBan({ key: '', untilMs: 1, reason: '' }))).toBeInstanceOf(RangeError);
    expect(thrown(() => store.putBan({ key: 'x'.repeat(300), untilMs: 1, reason: '' }))).toBeInstanceOf(
      RangeError,
    );
    expect(thrown(() => store.putBan({ key: 'ip:x', untilMs: Number.NaN, reason: '' }))).toBeInstanceOf(
      RangeError,
    );
    store.putBan({ key: 'ip:x', untilMs: 10_000, reason: 'é'.repeat(2_000) });
    const reason = store.listBans()[0]!.reason;
    expect(Buffer.byteLength(reason)).toBeLessThanOrEqual(1_024);
    expect(reason).toBe('é'.repeat(512));
  });
});

describe('address book', () => {
  it('puts, lists, replaces and deletes peers', async () => {
    const { store } = await fresh();
    const book: AddressBook = store;
    book.putPeer({ address: '127.0.0.1:7001', lastSeenMs: 10, failures: 0 });
    book.putPeer({ address: '127.0.0.1:7002', nodeId: 'ff00', lastSeenMs: 20, failures: 2 });
    book.putPeer({ address: '127.0.0.1:7001', nodeId: 'aa', lastSeenMs: 30, failures: 1 });
    expect(book.listPeers()).toEqual([
      { address: '127.0.0.1:7001', nodeId: 'aa', lastSeenMs: 30, failures: 1 },
      { address: '127.0.0.1:7002', nodeId: 'ff00', lastSeenMs: 20, failures: 2 },
    ]);
    book.deletePeer('127.0.0.1:7002');
    expect(book.listPeers().map((p) => p.address)).toEqual(['127.0.0.1:7001']);
  });

  it('is bounded: at maxPeers, the stored peer with most failures, then seen longest ago, makes room', async () => {
    const { store } = await fresh({ maxPeers: 3 });
    for (let i = 0; i < 10; i++)
      store.putPeer({ address: `10.0.0.${i}:1`, lastSeenMs: 100 + ((i * 7) % 10), failures: 0 });
    // lastSeen order of arrival: 100 107 104 101 108 105 102 109 106 103; the last put always stays.
    const kept = store.listPeers().map((p) => p.lastSeenMs);
    expect(kept.sort()).toEqual([103, 108, 109]);
    expect(store.stats().peers).toBe(3);
    // Failures weigh first: a fresh but failing peer goes before an old healthy one.
    store.putPeer({ address: '10.0.0.9:1', lastSeenMs: 500, failures: 4 });
    store.putPeer({ address: '10.0.0.20:1', lastSeenMs: 600, failures: 0 });
    expect(store.listPeers().map((p) => p.address)).toEqual(['10.0.0.20:1', '10.0.0.4:1', '10.0.0.7:1']);
  });

  it('validates records', async () => {
    const { store } = await fresh();
    const bad: PeerRecord[] = [
      { address: '', lastSeenMs: 1, failures: 0 },
      { address: 'a:1', lastSeenMs: Number.POSITIVE_INFINITY, failures: 0 },
      { address: 'a:1', lastSeenMs: 1, failures: -1 },
      { address: 'a:1', nodeId: 'z'.repeat(1_000), lastSeenMs: 1, failures: 0 },
      { address: 'a\u0000b:1', lastSeenMs: 1, failures: 0 },
    ];
    for (const r of bad) expect(thrown(() => store.putPeer(r))).toBeInstanceOf(RangeError);
    expect(store.listPeers()).toEqual([]);
  });
});
