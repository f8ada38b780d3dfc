import { afterEach, describe, expect, it } from 'vitest';
import { type ChainStore, InvalidRollbackError } from '../src/index.js';
import { hex, replayUtxos, SyntheticChain } from './fixtures/synthetic-chain.mjs';
import { commitUpTo, dumpTables, openTestStore, storeUtxos, TempDirs, thrown } from './helpers.js';

const temp = new TempDirs();
const stores: ChainStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  temp.cleanup();
});

async function fresh(seed = 1, txsPerBlock = 4) {
  const chain = new SyntheticChain({ seed, txsPerBlock });
  const path = temp.make();
  const store = await openTestStore(path, chain);
  stores.push(store);
  return { chain, path, store };
}

describe('rollbackTo', () => {
  it('rolls back 100 blocks one at a time; the UTXO set matches a replay from genesis at every height', async () => {
    const { chain, store } = await fresh(2, 6);
    commitUpTo(store, chain, 120);
    for (let h = 119; h >= 20; h--) {
      const removed = store.rollbackTo(h);
      expect(removed.map((b) => b.height)).toEqual([h + 1]);
      expect(storeUtxos(store)).toEqual(replayUtxos(chain.inputs.slice(0, h + 1)));
    }
    expect(store.getTip()).toEqual({ height: 20, hash: Buffer.from(chain.at(20).hash) });
  });

  it('rolls back 100 blocks in one call and removes every index entry above the target', async () => {
    const { chain, store } = await fresh(3);
    commitUpTo(store, chain, 110);
    const removed = store.rollbackTo(10);
    expect(removed.map((b) => b.height)).toEqual(Array.from({ length: 100 }, (_, i) => 110 - i));
    expect(storeUtxos(store)).toEqual(replayUtxos(chain.inputs.slice(0, 11)));
    for (let h = 11; h <= 110; h++) {
      const b = chain.at(h);
      expect(store.getBlockHash(h)).toBeUndefined();
      expect(store.getBlockBytes(b.hash)).toBeUndefined();
      expect(store.getHeaderBytes(b.hash)).toBeUndefined();
      for (const tx of b.txs) expect(store.getTxLocation(tx.txid)).toBeUndefined();
    }
    const txCount = chain.inputs.slice(0, 11).reduce((n, b) => n + b.txs.length, 0);
    expect(store.stats()).toMatchObject({ blocks: 11, headers: 11, heights: 11, undo: 11, txIndex: txCount });
  });

  it('a reorg of depth N then re-applying the same blocks gives byte-identical state', async () => {
    const { chain, path, store } = await fresh(4);
    commitUpTo(store, chain, 30);
    await store.close();
    const atTip = await dumpTables(path);
    let s = await openTestStore(path, chain);
    commitUpTo(s, chain, 18); // no-op: already at 30
    s.rollbackTo(18);
    await s.close();
    const at18 = await dumpTables(path);

    // The state at 18 equals a store that only ever went to 18.
    const other = temp.make();
    const s2 = await openTestStore(other, chain);
    commitUpTo(s2, chain, 18);
    await s2.close();
    expect(at18).toEqual(await dumpTables(other));

    s = await openTestStore(path, chain);
    commitUpTo(s, chain, 30);
    await s.close();
    expect(await dumpTables(path)).toEqual(atTip);
  });

  it('switches to a competing branch and back', async () => {
    const { chain, store } = await fresh(5);
    commitUpTo(store, chain, 12);
    store.rollbackTo(9);
    // A competing block 10 that spends nothing: its own coinbase only.
    const fork = { ...chain.at(10), hash: new Uint8Array(32).fill(0xab), txs: [chain.at(10).txs[0]!] };
    store.commitBlock(fork);
    expect(hex(store.getBlockHash(10)!)).toBe(hex(fork.hash));
    store.rollbackTo(9);
    commitUpTo(store, chain, 12);
    expect(storeUtxos(store)).toEqual(replayUtxos(chain.inputs.slice(0, 13)));
  });

  it('rolling back to the tip is a no-op; above the tip or negative is refused', async () => {
    const { chain, store } = await fresh();
    commitUpTo(store, chain, 3);
    expect(store.rollbackTo(3)).toEqual([]);
    expect(thrown(() => store.rollbackTo(4))).toBeInstanceOf(InvalidRollbackError);
    expect(thrown(() => store.rollbackTo(-1))).toBeInstanceOf(InvalidRollbackError);
    expect(thrown(() => store.rollbackTo(1.5))).toBeInstanceOf(InvalidRollbackError);
    expect(store.getTip()?.height).toBe(3);
  });

  it('rolls back to genesis', async () => {
    const { chain, store } = await fresh();
    commitUpTo(store, chain, 5);
    store.rollbackTo(0);
    expect(storeUtxos(store)).toEqual(replayUtxos(chain.inputs.slice(0, 1)));
    expect(store.getTip()?.height).toBe(0);
  });
});
