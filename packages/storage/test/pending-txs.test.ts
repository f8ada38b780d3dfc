import { afterEach, describe, expect, it } from 'vitest';
import { type ChainStore, PendingTxsFullError } from '../src/index.js';
import { SyntheticChain } from './fixtures/synthetic-chain.mjs';
import { openTestStore, TempDirs } from './helpers.js';

const temp = new TempDirs();
const stores: ChainStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  temp.cleanup();
});
const chain = new SyntheticChain({ seed: 47 });

const id = (n: number) => new Uint8Array(32).fill(n);
const record = (n: number, size = 120) => ({ txid: id(n), bytes: new Uint8Array(size).fill(n) });

async function fresh(
  path = temp.make(),
  limits: { maxPendingTxs?: number; maxPendingTxBytes?: number } = {},
) {
  const store = await openTestStore(path, chain, { limits });
  stores.push(store);
  return { store, path };
}

describe('accepted (pending) transactions', () => {
  it('stores them durably, lists them in txid order, and keeps them across a reopen', async () => {
    const { store, path } = await fresh();
    // Three puts in one event turn: lmdb commits them together; all are durable once resolved.
    await Promise.all([
      store.putPendingTxsAsync([record(3)]),
      store.putPendingTxsAsync([record(1), record(2)]),
    ]);
    await store.putPendingTxsAsync([record(2, 50)]); // overwrite: still three entries
    expect(store.pendingTxCount).toBe(3);
    await store.close();
    stores.length = 0;
    const { store: again } = await fresh(path);
    expect(again.pendingTxCount).toBe(3);
    const listed = again.listPendingTxs();
    expect(listed.map((r) => r.txid[0])).toEqual([1, 2, 3]);
    expect(listed[1]!.bytes).toEqual(new Uint8Array(50).fill(2));
    expect(again.listPendingTxs(2)).toHaveLength(2);
  });

  it('deletes by id, ignoring ids it does not hold', async () => {
    const { store } = await fresh();
    await store.putPendingTxsAsync([record(1), record(2), record(3)]);
    await store.deletePendingTxsAsync([id(2), id(9)]);
    expect(store.listPendingTxs().map((r) => r.txid[0])).toEqual([1, 3]);
    expect(store.pendingTxCount).toBe(2);
  });

  it('is bounded: a put past maxPendingTxs writes nothing of it, and malformed records are refused', async () => {
    const { store } = await fresh(undefined, { maxPendingTxs: 3, maxPendingTxBytes: 200 });
    await store.putPendingTxsAsync([record(1), record(2)]);
    const full = await store.putPendingTxsAsync([record(3), record(4)]).catch((e: unknown) => e);
    expect(full).toBeInstanceOf(PendingTxsFullError);
    expect((full as PendingTxsFullError).code).toBe('PENDING_TXS_FULL');
    expect(store.pendingTxCount).toBe(2);
    await expect(store.putPendingTxsAsync([record(5, 201)])).rejects.toThrow(/maxPendingTxBytes/);
    await expect(
      store.putPendingTxsAsync([{ txid: new Uint8Array(31), bytes: new Uint8Array(1) }]),
    ).rejects.toThrow(RangeError);
    await expect(store.putPendingTxsAsync([{ txid: id(6), bytes: new Uint8Array(0) }])).rejects.toThrow(
      RangeError,
    );
    expect(store.listPendingTxs().map((r) => r.txid[0])).toEqual([1, 2]);
    await store.putPendingTxsAsync([record(3)]);
    expect(store.pendingTxCount).toBe(3);
  });
});
