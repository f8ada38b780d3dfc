import { afterEach, describe, expect, it } from 'vitest';
import { type ChainStore, EvidenceFullError, InvalidFinalityError } from '../src/index.js';
import { forkBranch, SyntheticChain } from './fixtures/synthetic-chain.mjs';
import { commitUpTo, dumpTables, openTestStore, TempDirs } from './helpers.js';

const temp = new TempDirs();
const stores: ChainStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  temp.cleanup();
});

async function fresh(path = temp.make(), chain = new SyntheticChain({ seed: 61 }), limits = {}) {
  const store = await openTestStore(path, chain, { limits });
  stores.push(store);
  return { store, path, chain };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (error) {
    return error;
  }
  return undefined;
}

const cert = (n: number) => new Uint8Array(200).fill(n);

describe('finality records', () => {
  it('moves the finalized block up with its certificate, and keeps both across a reopen', async () => {
    const { store, path, chain } = await fresh();
    commitUpTo(store, chain, 12);
    expect(store.getFinalized()).toBeUndefined();
    await store.setFinalizedAsync({ height: 5, hash: chain.at(5).hash, certificate: cert(5) });
    await store.setFinalizedAsync({ height: 9, hash: chain.at(9).hash }); // finalized as an ancestor
    await store.setFinalizedAsync({ height: 10, hash: chain.at(10).hash, certificate: cert(10) });
    await store.close();
    stores.length = 0;
    const { store: again } = await fresh(path, chain);
    expect(again.getFinalized()).toEqual({ height: 10, hash: new Uint8Array(chain.at(10).hash) });
    expect(again.getCertificate(5)).toEqual(cert(5));
    expect(again.getCertificate(9)).toBeUndefined();
    expect(again.getCertificates(0, 20).map((c) => c.height)).toEqual([5, 10]);
    expect(again.getCertificates(6, 4)).toEqual([]);
  });

  it('refuses a block off the stored chain or below the finalized one, writing nothing', async () => {
    const { store, chain, path } = await fresh();
    commitUpTo(store, chain, 8);
    await store.setFinalizedAsync({ height: 6, hash: chain.at(6).hash, certificate: cert(6) });
    const before = await dumpTables(path);
    const off = forkBranch(chain, 7, 7)[0]!;
    expect(
      await rejection(store.setFinalizedAsync({ height: 7, hash: off.hash, certificate: cert(7) })),
    ).toBeInstanceOf(InvalidFinalityError);
    expect(await rejection(store.setFinalizedAsync({ height: 4, hash: chain.at(4).hash }))).toBeInstanceOf(
      InvalidFinalityError,
    );
    expect(await rejection(store.setFinalizedAsync({ height: 20, hash: chain.at(8).hash }))).toBeInstanceOf(
      InvalidFinalityError,
    );
    expect(await dumpTables(path)).toEqual(before);
  });

  it('refuses a rollback or reorg below the finalized block, leaving the store as it was', async () => {
    const { store, chain, path } = await fresh();
    commitUpTo(store, chain, 10);
    await store.setFinalizedAsync({ height: 7, hash: chain.at(7).hash });
    const before = await dumpTables(path);
    expect(() => store.rollbackTo(6)).toThrow(InvalidFinalityError);
    const branch = forkBranch(chain, 6, 11);
    expect(await rejection(store.reorgAsync({ toHeight: 5, commits: branch }))).toBeInstanceOf(
      InvalidFinalityError,
    );
    expect(await dumpTables(path)).toEqual(before);
    // Above the finalized block both still work.
    store.rollbackTo(7);
    expect(store.getTip()?.height).toBe(7);
  });

  it('stores the vote guard durably and evidence once per key, within its bound', async () => {
    const { store, path, chain } = await fresh(temp.make(), new SyntheticChain({ seed: 62 }), {
      maxEvidence: 2,
    });
    await store.setVoteGuardAsync(Uint8Array.of(1, 2, 3));
    expect(await store.putEvidenceAsync(Uint8Array.of(7), Uint8Array.of(70))).toBe(true);
    expect(await store.putEvidenceAsync(Uint8Array.of(7), Uint8Array.of(71))).toBe(false);
    expect(await store.putEvidenceAsync(Uint8Array.of(8), Uint8Array.of(80))).toBe(true);
    expect(await rejection(store.putEvidenceAsync(Uint8Array.of(9), Uint8Array.of(90)))).toBeInstanceOf(
      EvidenceFullError,
    );
    await store.close();
    stores.length = 0;
    const { store: again } = await fresh(path, chain, { maxEvidence: 2 });
    expect(again.getVoteGuard()).toEqual(Uint8Array.of(1, 2, 3));
    expect(again.evidenceCount).toBe(2);
    expect(again.listEvidence()).toEqual([Uint8Array.of(70), Uint8Array.of(80)]);
  });
});
