import { afterEach, describe, expect, it } from 'vitest';
import { type ChainStore, InvalidCommitError, StoreClosedError } from '../src/index.js';
import { hex, replayUtxos, SyntheticChain } from './fixtures/synthetic-chain.mjs';
import { commitUpTo, dumpTables, openTestStore, storeUtxos, TempDirs, thrown } from './helpers.js';

const temp = new TempDirs();
const stores: ChainStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  temp.cleanup();
});

async function fresh(seed = 1) {
  const chain = new SyntheticChain({ seed });
  const path = temp.make();
  const store = await openTestStore(path, chain);
  stores.push(store);
  return { chain, path, store };
}

describe('commitBlock', () => {
  it('stores the block, its index entries, its UTXO changes and the new tip', async () => {
    const { chain, store } = await fresh();
    commitUpTo(store, chain, 5);
    const b5 = chain.at(5);
    expect(store.getTip()).toEqual({ height: 5, hash: Buffer.from(b5.hash) });
    expect(store.getBlockBytes(b5.hash)).toEqual(Buffer.from(b5.blockBytes));
    expect(store.getBlockHash(5)).toEqual(Buffer.from(b5.hash));
    expect(store.getBlockHeight(b5.hash)).toBe(5);
    expect(store.getHeaderBytes(b5.hash)).toEqual(Buffer.from(b5.headerBytes));
    b5.txs.forEach((tx, index) => {
      expect(store.getTxLocation(tx.txid)).toEqual({ blockHash: Buffer.from(b5.hash), height: 5, index });
    });
    expect(storeUtxos(store)).toEqual(replayUtxos(chain.inputs.slice(0, 6)));
    expect(store.stats()).toMatchObject({ blocks: 6, headers: 6, heights: 6, undo: 6 });
  });

  it('keeps u64 values exact above 2^53', async () => {
    const { chain, store } = await fresh();
    commitUpTo(store, chain, 0);
    const coinbase = chain.at(0).txs[0]!;
    // The coinbase output may have been spent inside block 0; check a UTXO that survived instead.
    let checked = 0;
    store.forEachUtxo((_op, utxo) => {
      expect(utxo.value).toBeTypeOf('bigint');
      checked++;
    });
    expect(checked).toBeGreaterThan(0);
    expect(coinbase.outputs[0]!.value).toBe((1n << 62n) + 0n);
    const max = { value: (1n << 64n) - 1n, recipient: new Uint8Array([1, 2, 3]) };
    const next = chain.at(1);
    const txid = new Uint8Array(32).fill(0xee);
    store.commitBlock({
      ...next,
      txs: [...next.txs, { txid, spends: [], outputs: [max] }],
      headerBytes: next.headerBytes,
    });
    const utxo = store.getUtxo({ txid, vout: 0 })!;
    expect([utxo.value, hex(utxo.recipient), utxo.height]).toEqual([max.value, hex(max.recipient), 1]);
  });

  it('derives the header from the block when headerBytes is omitted', async () => {
    const { chain, store } = await fresh();
    const { headerBytes, ...rest } = chain.at(0);
    store.commitBlock(rest);
    expect(store.getHeaderBytes(rest.hash)).toEqual(Buffer.from(headerBytes));
    const next = chain.at(1);
    const err = thrown(() => store.commitBlock({ ...next, headerBytes: undefined, txs: next.txs.slice(1) }));
    expect(err).toBeInstanceOf(InvalidCommitError);
    expect((err as InvalidCommitError).reason).toBe('MALFORMED_INPUT');
  });

  const refusals: [string, (c: SyntheticChain) => Parameters<ChainStore['commitBlock']>[0], string][] = [
    ['a height that is not tip+1', (c) => c.at(3), 'BAD_HEIGHT'],
    [
      'a prevHash that is not the tip',
      (c) => ({ ...c.at(2), prevHash: new Uint8Array(32).fill(9) }),
      'BAD_PREV_HASH',
    ],
    ['a spend of a missing UTXO', (c) => spendMissing(c.at(2)), 'MISSING_UTXO'],
    ['a spend of an output spent earlier', (c) => respend(c), 'MISSING_UTXO'],
    ['a txid that is already indexed', (c) => dupTxid(c), 'DUPLICATE_TXID'],
    [
      'a block that is already stored',
      (c) => ({ ...c.at(1), height: 2, prevHash: c.at(1).hash }),
      'DUPLICATE_BLOCK',
    ],
    ['a malformed outpoint', (c) => badOutpoint(c.at(2)), 'MALFORMED_INPUT'],
    ['a negative value', (c) => negativeValue(c.at(2)), 'MALFORMED_INPUT'],
  ];
  for (const [what, make, reason] of refusals) {
    it(`refuses ${what} (${reason}) and writes nothing`, async () => {
      const { chain, path, store } = await fresh();
      commitUpTo(store, chain, 1);
      await store.close();
      const before = await dumpTables(path);
      const reopened = await openTestStore(path, chain);
      stores.push(reopened);
      const err = thrown(() => reopened.commitBlock(make(chain)));
      expect(err).toBeInstanceOf(InvalidCommitError);
      expect((err as InvalidCommitError).reason).toBe(reason);
      expect((err as InvalidCommitError).code).toBe('INVALID_COMMIT');
      await reopened.close();
      expect(await dumpTables(path)).toEqual(before);
    });
  }

  it('refuses a first block that is not the genesis', async () => {
    const { chain, store } = await fresh();
    const other = new SyntheticChain({ seed: 99 }).at(0);
    const err = thrown(() => store.commitBlock(other)) as InvalidCommitError;
    expect(err.reason).toBe('BAD_GENESIS');
    expect(err.message).toContain(hex(chain.genesisHash));
    expect(store.getTip()).toBeUndefined();
  });

  it('throws StoreClosedError after close', async () => {
    const { chain, store } = await fresh();
    await store.close();
    expect(thrown(() => store.commitBlock(chain.at(0)))).toBeInstanceOf(StoreClosedError);
    expect(thrown(() => store.getTip())).toBeInstanceOf(StoreClosedError);
  });
});

type Input = ReturnType<SyntheticChain['at']>;

function spendMissing(b: Input): Input {
  const txs = b.txs.map((t, i) =>
    i === 1 ? { ...t, spends: [{ txid: new Uint8Array(32).fill(7), vout: 0 }] } : t,
  );
  return { ...b, txs };
}

function respend(c: SyntheticChain): Input {
  const spentEarlier = c.at(1).txs.find((t) => t.spends.length > 0)!.spends[0]!;
  const b = c.at(2);
  return { ...b, txs: [...b.txs, { txid: new Uint8Array(32).fill(3), spends: [spentEarlier], outputs: [] }] };
}

function dupTxid(c: SyntheticChain): Input {
  const b = c.at(2);
  return { ...b, txs: [...b.txs, { txid: c.at(0).txs[0]!.txid, spends: [], outputs: [] }] };
}

function badOutpoint(b: Input): Input {
  return {
    ...b,
    txs: [
      ...b.txs,
      { txid: new Uint8Array(32).fill(4), spends: [{ txid: new Uint8Array(3), vout: 0 }], outputs: [] },
    ],
  };
}

function negativeValue(b: Input): Input {
  const txs = [
    ...b.txs,
    { txid: new Uint8Array(32).fill(5), spends: [], outputs: [{ value: -1n, recipient: new Uint8Array(1) }] },
  ];
  return { ...b, txs };
}
