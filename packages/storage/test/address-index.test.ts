import { open } from 'lmdb';
import { afterEach, describe, expect, it } from 'vitest';
import { type ChainStore, InvalidCommitError, SCHEMA_VERSION } from '../src/index.js';
import { SyntheticChain, sha256 } from './fixtures/synthetic-chain.mjs';
import { commitUpTo, expectIndexMatchesScan, openTestStore, TempDirs, thrown } from './helpers.js';

const temp = new TempDirs();
const stores: ChainStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  temp.cleanup();
});

async function fresh(seed: number, opts: { recipients?: number; maxBatchLookups?: number } = {}) {
  const chain = new SyntheticChain({ seed, txsPerBlock: 6, recipients: opts.recipients ?? 5 });
  const path = temp.make();
  const limits = opts.maxBatchLookups === undefined ? {} : { maxBatchLookups: opts.maxBatchLookups };
  const store = await openTestStore(path, chain, { limits });
  stores.push(store);
  return { chain, path, store };
}

/** A block at the next height with one transaction paying `outputs` to the given recipients. */
function payBlock(store: ChainStore, recipients: Uint8Array[], tag: number) {
  const tip = store.getTip()!;
  const txid = sha256(Uint8Array.of(tag, 1));
  return {
    height: tip.height + 1,
    hash: sha256(Uint8Array.of(tag, 2)),
    prevHash: tip.hash,
    blockBytes: Uint8Array.of(tag),
    headerBytes: Uint8Array.of(tag),
    txs: [{ txid, spends: [], outputs: recipients.map((recipient) => ({ value: 7n, recipient })) }],
  };
}

describe('address index', () => {
  it('equals a scan of the UTXO set after every commit and every single-block rollback', async () => {
    const { chain, store } = await fresh(31);
    for (let h = 0; h <= 60; h++) {
      commitUpTo(store, chain, h);
      expect(expectIndexMatchesScan(store)).toBeGreaterThan(0);
    }
    for (let h = 59; h >= 30; h--) {
      store.rollbackTo(h);
      expectIndexMatchesScan(store);
    }
  });

  it('equals a scan after a 100-block rollback and after a reorg replay', async () => {
    const { chain, store } = await fresh(32);
    commitUpTo(store, chain, 110);
    expectIndexMatchesScan(store);
    store.rollbackTo(10);
    expectIndexMatchesScan(store);
    // Reorg replay: a competing branch (coinbase-only blocks), then back to the original chain.
    for (let h = 11; h <= 14; h++) {
      const base = chain.at(h);
      const prevHash = h === 11 ? chain.at(10).hash : sha256(Uint8Array.of(h - 1, 0xee));
      store.commitBlock({ ...base, prevHash, hash: sha256(Uint8Array.of(h, 0xee)), txs: [base.txs[0]!] });
      expectIndexMatchesScan(store);
    }
    store.rollbackTo(10);
    commitUpTo(store, chain, 110);
    expectIndexMatchesScan(store);
  });

  it('is bounded: default limit 1 000, explicit limits, and RangeErrors outside [1, maxBatchLookups]', async () => {
    const { chain, store } = await fresh(33, { maxBatchLookups: 5_000 });
    commitUpTo(store, chain, 0);
    const r = new Uint8Array(32).fill(9);
    store.commitBlock(
      payBlock(
        store,
        Array.from({ length: 1_100 }, () => r),
        1,
      ),
    );
    expect(store.getUtxosByRecipient(r)).toHaveLength(1_000);
    expect(store.getUtxosByRecipient(r, 1_100)).toHaveLength(1_100);
    const three = store.getUtxosByRecipient(r, 3);
    expect(three.map((e) => e.outpoint.vout)).toEqual([0, 1, 2]);
    expect(three[0]!.output).toMatchObject({ value: 7n, height: 1 });
    expect(Buffer.from(three[0]!.output.recipient).equals(r)).toBe(true);
    expect(store.getBalance(r)).toBe(7_700n);
    expect(thrown(() => store.getUtxosByRecipient(r, 0))).toBeInstanceOf(RangeError);
    expect(thrown(() => store.getUtxosByRecipient(r, 5_001))).toBeInstanceOf(RangeError);
    expect(thrown(() => store.getUtxosByRecipient(r, 1.5))).toBeInstanceOf(RangeError);
    expect(store.getUtxosByRecipient(new Uint8Array(32))).toEqual([]);
    expect(store.getBalance(new Uint8Array(32))).toBe(0n);
  });

  it('keeps a recipient apart from a longer recipient it prefixes, and refuses recipients over 255 bytes', async () => {
    const { chain, store } = await fresh(34);
    commitUpTo(store, chain, 0);
    const short = Uint8Array.of(1, 2, 3);
    const long = Uint8Array.of(1, 2, 3, 4);
    store.commitBlock(payBlock(store, [long, short, long, new Uint8Array(0)], 2));
    expect(store.getUtxosByRecipient(short).map((e) => e.outpoint.vout)).toEqual([1]);
    expect(store.getUtxosByRecipient(long).map((e) => e.outpoint.vout)).toEqual([0, 2]);
    expect(store.getUtxosByRecipient(new Uint8Array(0)).map((e) => e.outpoint.vout)).toEqual([3]);
    expectIndexMatchesScan(store);
    const before = store.stats();
    const err = thrown(() => store.commitBlock(payBlock(store, [new Uint8Array(256)], 3)));
    expect(err).toBeInstanceOf(InvalidCommitError);
    expect((err as InvalidCommitError).reason).toBe('MALFORMED_INPUT');
    expect(store.stats()).toEqual(before);
    expect(store.getUtxosByRecipient(new Uint8Array(256))).toEqual([]);
  });

  it(`migrating a schema-1 store (no index) to ${SCHEMA_VERSION} builds the index from the UTXO set`, async () => {
    const { chain, path, store } = await fresh(35);
    commitUpTo(store, chain, 40);
    const utxos = store.stats().utxos;
    await store.close();
    stores.length = 0;
    // Turn it into what schema version 1 wrote: no `addrs` entries, meta/schemaVersion = 1.
    const root = open({ path, maxDbs: 16 });
    const addrs = root.openDB<Buffer, Buffer>({ name: 'addrs', keyEncoding: 'binary', encoding: 'binary' });
    const meta = root.openDB<Buffer, Buffer>({ name: 'meta', keyEncoding: 'binary', encoding: 'binary' });
    const keys = [...addrs.getKeys({})];
    expect(keys).toHaveLength(utxos);
    root.transactionSync(() => {
      for (const key of keys) addrs.removeSync(key);
      meta.putSync(Buffer.from('schemaVersion'), Buffer.from([1, 0, 0, 0]));
    });
    expect(addrs.getCount()).toBe(0);
    await root.close();

    const migrated = await openTestStore(path, chain);
    stores.push(migrated);
    expect(migrated.stats()).toMatchObject({ utxos, addrIndex: utxos });
    expectIndexMatchesScan(migrated);
    // The index keeps up afterwards.
    migrated.rollbackTo(30);
    commitUpTo(migrated, chain, 45);
    expectIndexMatchesScan(migrated);
    await migrated.close();
    const raw = open({ path, maxDbs: 16, readOnly: true });
    const version = raw.openDB<Buffer, Buffer>({ name: 'meta', keyEncoding: 'binary', encoding: 'binary' });
    expect(version.get(Buffer.from('schemaVersion'))!.readUInt32LE(0)).toBe(SCHEMA_VERSION);
    await raw.close();
  });
});
