import { afterEach, describe, expect, it } from 'vitest';
import {
  type ChainStore,
  type CommitBlockInput,
  InvalidCommitError,
  InvalidRollbackError,
} from '../src/index.js';
import { forkBranch, hex, inputOfBlockBytes, SyntheticChain } from './fixtures/synthetic-chain.mjs';
import {
  commitUpTo,
  dumpTables,
  expectIndexMatchesScan,
  openTestStore,
  TempDirs,
  thrown,
} from './helpers.js';

const temp = new TempDirs();
const stores: ChainStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  temp.cleanup();
});

const chain = new SyntheticChain({ seed: 71, txsPerBlock: 6, recipients: 8 });

async function open(path = temp.make(), maxBatchBlocks?: number) {
  const limits = maxBatchBlocks === undefined ? {} : { maxBatchBlocks };
  const store = await openTestStore(path, chain, { limits });
  stores.push(store);
  return { path, store };
}

/** Closes the store, dumps every table raw, reopens it. */
async function dump(path: string, store: ChainStore, maxBatchBlocks?: number) {
  await store.close();
  const tables = await dumpTables(path);
  return { tables, store: (await open(path, maxBatchBlocks)).store };
}

/** `input` with its last transaction's first spend replaced by an outpoint that does not exist. */
function withMissingSpend(input: CommitBlockInput): CommitBlockInput {
  const txs = input.txs.map((tx, i) =>
    i === input.txs.length - 1 ? { ...tx, spends: [{ txid: new Uint8Array(32).fill(0xee), vout: 0 }] } : tx,
  );
  return { ...input, txs };
}

const range = (from: number, to: number) => chain.inputs.slice(from, to + 1);

describe('commitBlocks', () => {
  it('writes several blocks in one transaction, byte-identical to committing them one by one', async () => {
    chain.at(80);
    const a = await open();
    expect(a.store.commitBlocks(range(0, 0))).toEqual({ height: 0, hash: chain.at(0).hash });
    for (const [from, to] of [
      [1, 10],
      [11, 35],
      [36, 36],
      [37, 60],
    ] as const) {
      expect(a.store.commitBlocks(range(from, to)).height).toBe(to);
      expectIndexMatchesScan(a.store);
    }
    const b = await open();
    commitUpTo(b.store, chain, 60);
    const dumpA = await dump(a.path, a.store);
    const dumpB = await dump(b.path, b.store);
    expect(dumpA.tables).toEqual(dumpB.tables);
  });

  it('a failure in the last block (missing UTXO) writes nothing of the batch', async () => {
    const { path, store } = await open();
    commitUpTo(store, chain, 20);
    const before = await dump(path, store);
    const batch = [...range(21, 29), withMissingSpend(chain.at(30))];
    const err = thrown(() => before.store.commitBlocks(batch));
    expect(err).toBeInstanceOf(InvalidCommitError);
    expect((err as InvalidCommitError).reason).toBe('MISSING_UTXO');
    expect((err as InvalidCommitError).blockIndex).toBe(9);
    expect(before.store.getTip()?.height).toBe(20);
    const after = await dump(path, before.store);
    expect(after.tables).toEqual(before.tables);
    // The valid prefix commits on its own afterwards.
    expect(after.store.commitBlocks(batch.slice(0, 9)).height).toBe(29);
  });

  it('refuses gaps, empty and oversized batches as a whole', async () => {
    const { store } = await open(undefined, 5);
    commitUpTo(store, chain, 3);
    const gap = thrown(() => store.commitBlocks([chain.at(4), chain.at(6)]));
    expect((gap as InvalidCommitError).reason).toBe('BAD_HEIGHT');
    expect((gap as InvalidCommitError).blockIndex).toBe(1);
    expect(thrown(() => store.commitBlocks([]))).toBeInstanceOf(RangeError);
    expect(thrown(() => store.commitBlocks(range(4, 9)))).toBeInstanceOf(RangeError);
    expect(store.getTip()?.height).toBe(3);
    expect(store.commitBlocks(range(4, 8)).height).toBe(8);
  });
});

describe('reorg', () => {
  it('switches to a branch and back in one transaction each; states equal rollback + commits', async () => {
    const { path, store } = await open();
    commitUpTo(store, chain, 40);
    const atTip = await dump(path, store);
    const fork = forkBranch(chain, 31, 42);
    expect(atTip.store.reorg({ toHeight: 30, commits: fork })).toEqual({ height: 42, hash: fork[11]!.hash });
    expectIndexMatchesScan(atTip.store);
    const onFork = await dump(path, atTip.store);

    const other = await open();
    commitUpTo(other.store, chain, 40);
    other.store.rollbackTo(30);
    for (const block of fork) other.store.commitBlock(block);
    expect((await dump(other.path, other.store)).tables).toEqual(onFork.tables);

    // And back: byte-identical to the state before the first switch.
    expect(onFork.store.reorg({ toHeight: 30, commits: range(31, 40) }).height).toBe(40);
    expect((await dump(path, onFork.store)).tables).toEqual(atTip.tables);
    // The fork blocks replay from their stored bytes (real blocks, not only inputs).
    expect(hex(inputOfBlockBytes(fork[0]!.blockBytes).hash)).toBe(hex(fork[0]!.hash));
  });

  it('a failure in the last commit (missing UTXO) leaves every table byte-identical', async () => {
    const { path, store } = await open();
    commitUpTo(store, chain, 40);
    const before = await dump(path, store);
    const commits = [...range(26, 39), withMissingSpend(chain.at(40))];
    const err = thrown(() => before.store.reorg({ toHeight: 25, commits }));
    expect(err).toBeInstanceOf(InvalidCommitError);
    expect((err as InvalidCommitError).reason).toBe('MISSING_UTXO');
    expect((err as InvalidCommitError).blockIndex).toBe(14);
    expect(before.store.getTip()).toEqual({ height: 40, hash: Buffer.from(chain.at(40).hash) });
    expect((await dump(path, before.store)).tables).toEqual(before.tables);
  });

  it('refuses bad heights, too-deep rollbacks and too many commits, writing nothing; empty commits roll back', async () => {
    const { store } = await open(undefined, 10);
    commitUpTo(store, chain, 30);
    expect(thrown(() => store.reorg({ toHeight: 31, commits: [] }))).toBeInstanceOf(InvalidRollbackError);
    expect(thrown(() => store.reorg({ toHeight: -1, commits: [] }))).toBeInstanceOf(InvalidRollbackError);
    expect(thrown(() => store.reorg({ toHeight: 19, commits: [] }))).toBeInstanceOf(InvalidRollbackError);
    expect(thrown(() => store.reorg({ toHeight: 20, commits: range(21, 31) }))).toBeInstanceOf(RangeError);
    // A branch that does not link to the fork point.
    const unlinked = thrown(() => store.reorg({ toHeight: 20, commits: range(22, 23) }));
    expect((unlinked as InvalidCommitError).reason).toBe('BAD_HEIGHT');
    expect(store.getTip()?.height).toBe(30);
    expect(store.reorg({ toHeight: 25, commits: [] })).toEqual({
      height: 25,
      hash: Buffer.from(chain.at(25).hash),
    });
    expect(store.stats().blocks).toBe(26);
    expectIndexMatchesScan(store);
  });
});

describe('commitBlocksAsync (the commit off the event loop)', () => {
  it('writes the same bytes as commitBlocks, and the tip moves only once the commit resolves', async () => {
    chain.at(40);
    const a = await open();
    const b = await open();
    commitUpTo(a.store, chain, 10);
    commitUpTo(b.store, chain, 10);
    const pending = a.store.commitBlocksAsync(range(11, 25));
    expect(a.store.getTip()?.height).toBe(10);
    expect(await pending).toEqual({ height: 25, hash: chain.at(25).hash });
    expect(a.store.getTip()?.height).toBe(25);
    expect(b.store.commitBlocks(range(11, 25)).height).toBe(25);
    expectIndexMatchesScan(a.store);
    const dumpA = await dump(a.path, a.store);
    const dumpB = await dump(b.path, b.store);
    expect(dumpA.tables).toEqual(dumpB.tables);
  });

  it('a refused batch rejects with the typed error and writes nothing', async () => {
    chain.at(40);
    const { path, store } = await open();
    commitUpTo(store, chain, 20);
    const before = await dump(path, store);
    const batch = [...range(21, 29), withMissingSpend(chain.at(30))];
    const err = await before.store.commitBlocksAsync(batch).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidCommitError);
    expect((err as InvalidCommitError).blockIndex).toBe(9);
    const after = await dump(path, before.store);
    expect(after.tables).toEqual(before.tables);
    expect((await after.store.commitBlocksAsync(batch.slice(0, 9))).height).toBe(29);
  });
});

describe('reorgAsync', () => {
  it('switches branches off the event loop with the same bytes as reorg', async () => {
    chain.at(30);
    const a = await open();
    const b = await open();
    commitUpTo(a.store, chain, 25);
    commitUpTo(b.store, chain, 25);
    const pending = a.store.reorgAsync({ toHeight: 20, commits: [] });
    expect(a.store.getTip()?.height).toBe(25);
    expect((await pending).height).toBe(20);
    expect(b.store.reorg({ toHeight: 20, commits: [] }).height).toBe(20);
    const dumpA = await dump(a.path, a.store);
    const dumpB = await dump(b.path, b.store);
    expect(dumpA.tables).toEqual(dumpB.tables);
    const reopened = dumpA.store;
    const err = await reopened
      .reorgAsync({ toHeight: 10, commits: [withMissingSpend(chain.at(11))] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidCommitError);
    expect(reopened.getTip()?.height).toBe(20);
    expect((await dump(a.path, reopened)).tables).toEqual(dumpB.tables);
  });
});
