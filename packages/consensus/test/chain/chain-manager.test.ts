import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ChainStore, openChainStore } from '@tc/storage';
import { afterEach, describe, expect, it } from 'vitest';
import {
  addressOf,
  ChainError,
  ChainManager,
  type Checkpoint,
  ConsensusError,
  decodeBlockData as decode,
  FinalityTracker,
  type GenesisConfig,
  genesisHash,
  type HeaderRef,
  InlineValidator,
  Mempool,
  type ReorgEvent,
  Signer,
  type StatelessValidator,
  signTransaction,
  signVote,
  toHex,
  utxoSetDigest,
} from '../../src/internal.js';
import {
  childBlock,
  makeGenesis,
  reseal,
  spendGenesis,
  validators as validatorKeys,
  wallets,
} from '../helpers.js';

const genesis = makeGenesis();
const validator = new InlineValidator();
const dirs: string[] = [];
const stores: ChainStore[] = [];

afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function manager(opts: { maxReorgDepth?: number; g?: GenesisConfig } = {}) {
  const g = opts.g ?? genesis;
  const dir = mkdtempSync(join(tmpdir(), 'tc-chain-'));
  dirs.push(dir);
  const store = await openChainStore({ path: dir, networkId: g.networkId, genesisHash: genesisHash(g) });
  stores.push(store);
  const mempool = new Mempool();
  const chain = new ChainManager({
    store,
    genesis: g,
    validator,
    mempool,
    ...(opts.maxReorgDepth !== undefined ? { maxReorgDepth: opts.maxReorgDepth } : {}),
  });
  return { chain, store, mempool };
}

type Tx = ReturnType<typeof spendGenesis>;

/** `n` blocks on top of `parent`; block i carries txs[i] (attempt picks a distinct branch). */
function branch(parent: HeaderRef, n: number, attempt = 0, txs: (Tx | undefined)[] = []) {
  const out: { bytes: Uint8Array; ref: HeaderRef }[] = [];
  let p = parent;
  for (let i = 0; i < n; i++) {
    const tx = txs[i];
    const built = childBlock(genesis, p, tx ? [{ tx: tx.tx, fee: 10n }] : [], {
      attempt: i === 0 ? attempt : 0,
    });
    p = { height: p.height + 1, hash: built.hash, timestampMs: built.block.header.timestampMs };
    out.push({ bytes: built.bytes, ref: p });
  }
  return out;
}

/** Records the size of every `commitBlocks` batch and every `reorg` of a store. */
function spyWrites(store: ChainStore) {
  const batches: number[] = [];
  const reorgs: { toHeight: number; commits: number }[] = [];
  const commitBlocks = store.commitBlocks.bind(store);
  const reorg = store.reorg.bind(store);
  store.commitBlocks = (inputs) => {
    batches.push(inputs.length);
    return commitBlocks(inputs);
  };
  store.reorg = (o) => {
    reorgs.push({ toHeight: o.toHeight, commits: o.commits.length });
    return reorg(o);
  };
  // Announced blocks and switches commit off the event loop: count those as well.
  const commitBlocksAsync = store.commitBlocksAsync.bind(store);
  const reorgAsync = store.reorgAsync.bind(store);
  store.commitBlocksAsync = (inputs) => {
    batches.push(inputs.length);
    return commitBlocksAsync(inputs);
  };
  store.reorgAsync = (o) => {
    reorgs.push({ toHeight: o.toHeight, commits: o.commits.length });
    return reorgAsync(o);
  };
  return { batches, reorgs };
}

/** A transfer of output 0 of `prev` (owned by wallet `w`) back to the same wallet, minus `fee`. */
function spendOutput(prev: Tx, w: number, value: bigint, fee = 10n): Tx {
  return signTransaction(genesis.networkId, {
    nonce: 1n,
    inputs: [{ prevTxid: prev.txid, vout: 0, keys: wallets[w]! }],
    outputs: [{ value: value - fee, recipient: addressOf(wallets[w]!.publicKey) }],
  });
}

function snapshot(store: ChainStore) {
  const tip = store.getTip()!;
  return { tip: toHex(tip.hash), height: tip.height, utxos: utxoSetDigest(store), stats: store.stats() };
}

describe('ChainManager', () => {
  it('commits genesis and imports consecutive blocks; the first invalid block stops the import', async () => {
    const { chain, store } = await manager();
    expect(chain.tip().height).toBe(0);
    const blocks = branch(chain.tipHeader(), 5);
    expect(
      await chain.importBlocks(
        blocks.slice(0, 2).map((b) => b.bytes),
        'peer',
      ),
    ).toEqual({ imported: 2 });
    // Overlap with what we have is skipped, not refused.
    expect(
      await chain.importBlocks(
        blocks.slice(0, 3).map((b) => b.bytes),
        'peer',
      ),
    ).toEqual({ imported: 1 });
    const fifth = decode(blocks[4]!.bytes);
    const bad = reseal(genesis, { ...fifth, header: { ...fifth.header, timestampMs: 1 } }).bytes;
    const err = await chain.importBlocks([blocks[3]!.bytes, bad], 'peer').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConsensusError);
    expect((err as ConsensusError).code).toBe('TIMESTAMP_TOO_OLD');
    expect(chain.tip().height).toBe(4);
    expect(store.getTip()!.height).toBe(4);
  });

  it('prevalidate: importBlocks takes the pool results started early, one stateless check per block, each ordered by its height', async () => {
    const g = genesis;
    const dir = mkdtempSync(join(tmpdir(), 'tc-chain-'));
    dirs.push(dir);
    const store = await openChainStore({ path: dir, networkId: g.networkId, genesisHash: genesisHash(g) });
    stores.push(store);
    const checked: Uint8Array[] = [];
    const orders: (number | undefined)[] = [];
    const counting: StatelessValidator = {
      validateBlock: (bytes, params, options) => {
        checked.push(bytes);
        orders.push(options?.order);
        return validator.validateBlock(bytes, params, options);
      },
      validateTransactions: (txs, params, txids) => validator.validateTransactions(txs, params, txids),
      verifySignatures: (items) => validator.verifySignatures(items),
      destroy: async () => {},
    };
    const chain = new ChainManager({ store, genesis: g, validator: counting, mempool: new Mempool() });
    const blocks = branch(chain.tipHeader(), 10).map((b) => b.bytes);
    chain.prevalidate(blocks.slice(0, 6), 1);
    expect(checked).toHaveLength(6); // started now, before any import
    expect(await chain.importBlocks(blocks, 'p')).toEqual({ imported: 10 });
    expect(checked).toHaveLength(10); // the 6 were not checked again
    expect(new Set(checked).size).toBe(10);
    // The pool's queue takes them lowest height first (prevalidated and imported alike).
    expect(orders).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    expect(chain.tip().height).toBe(10);
  });

  it('imports a batch in ONE storage transaction; block k+1 may spend block k outputs; same state as one by one', async () => {
    const { chain, store } = await manager();
    const writes = spyWrites(store);
    const a = spendGenesis(genesis, 0, { fee: 10n });
    const chained = spendOutput(a, 0, 1_000_000n - 10n);
    const blocks = branch(chain.tipHeader(), 12, 0, [undefined, a, chained]);
    const connected: number[] = [];
    chain.on('block:connected', (e) => connected.push(e.height));
    expect(
      await chain.importBlocks(
        blocks.map((b) => b.bytes),
        'p',
      ),
    ).toEqual({ imported: 12 });
    expect(writes.batches).toEqual([12]);
    expect(connected).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(chain.tip()).toEqual({ height: 12, hash: blocks[11]!.ref.hash });
    expect(store.getTxLocation(chained.txid)?.height).toBe(3);
    // One block at a time (announced blocks: one commit each) gives the same state.
    const other = await manager();
    for (const b of blocks)
      expect((await other.chain.acceptAnnouncedBlock(b.bytes, 'p')).status).toBe('connected');
    expect(snapshot(store)).toEqual(snapshot(other.store));
  });

  it('a double spend across blocks of one batch stops the import: the blocks before it are committed in one transaction', async () => {
    const { chain, store } = await manager();
    const writes = spyWrites(store);
    const a = spendGenesis(genesis, 1, { fee: 10n });
    const again = spendGenesis(genesis, 1, { fee: 20n }); // another tx spending the same output
    const blocks = branch(chain.tipHeader(), 5, 0, [undefined, a, undefined, again]);
    const err = await chain
      .importBlocks(
        blocks.map((b) => b.bytes),
        'p',
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConsensusError);
    expect((err as ConsensusError).code).toBe('MISSING_OR_SPENT_INPUT');
    expect(writes.batches).toEqual([3]);
    expect(chain.tip()).toEqual({ height: 3, hash: blocks[2]!.ref.hash });
    expect(store.getTip()!.height).toBe(3);
    // The first block invalid: nothing committed, nothing written.
    const bad = await chain.importBlocks([blocks[3]!.bytes], 'p').catch((e: unknown) => e);
    expect((bad as ConsensusError).code).toBe('MISSING_OR_SPENT_INPUT');
    expect(writes.batches).toEqual([3]);
  });

  it('classifies announced blocks: connected, duplicate, fork, unknown parent, invalid', async () => {
    const { chain } = await manager();
    const main = branch(chain.tipHeader(), 2);
    const side = branch(main[0]!.ref, 1, 1);
    const orphan = branch(main[1]!.ref, 2);
    expect((await chain.acceptAnnouncedBlock(main[0]!.bytes, 'p')).status).toBe('connected');
    expect((await chain.acceptAnnouncedBlock(main[0]!.bytes, 'p')).status).toBe('duplicate');
    expect((await chain.acceptAnnouncedBlock(main[1]!.bytes, 'p')).status).toBe('connected');
    expect((await chain.acceptAnnouncedBlock(side[0]!.bytes, 'p')).status).toBe('fork');
    expect((await chain.acceptAnnouncedBlock(orphan[1]!.bytes, 'p')).status).toBe('unknown-parent');
    const tampered = orphan[0]!.bytes.slice();
    tampered[tampered.length - 1]! ^= 0xff; // producer signature
    const outcome = await chain.acceptAnnouncedBlock(tampered, 'p');
    expect(outcome.status).toBe('invalid');
    expect(outcome.status === 'invalid' && outcome.error.code).toBe('BAD_PRODUCER_SIGNATURE');
  });

  it('onValid: called once a block passed every rule and before its commit; never for an invalid or known one', async () => {
    const { chain, store } = await manager();
    const [first, second] = branch(chain.tipHeader(), 2);
    const seen: { height: number; hash: string; storedTip: number }[] = [];
    const onValid = (hash: Uint8Array, height: number) =>
      seen.push({ height, hash: toHex(hash), storedTip: store.getTip()!.height });
    expect((await chain.acceptAnnouncedBlock(first!.bytes, 'p', onValid)).status).toBe('connected');
    // At the call the store still held the parent: the relay does not wait for the fsync.
    expect(seen).toEqual([{ height: 1, hash: toHex(first!.ref.hash), storedTip: 0 }]);
    expect((await chain.acceptAnnouncedBlock(first!.bytes, 'p', onValid)).status).toBe('duplicate');
    // A different block at height 2 (invalid blocks' hashes are remembered as bad).
    const tampered = branch(first!.ref, 1, 1)[0]!.bytes.slice();
    tampered[tampered.length - 1]! ^= 0xff;
    expect((await chain.acceptAnnouncedBlock(tampered, 'p', onValid)).status).toBe('invalid');
    expect(seen).toHaveLength(1);
    // A throwing callback does not cost the block its place in the chain.
    const throwing = () => {
      throw new Error('relay failed');
    };
    expect((await chain.acceptAnnouncedBlock(second!.bytes, 'p', throwing)).status).toBe('connected');
    expect(store.getTip()!.height).toBe(2);
  });

  it.each([
    ['with undo data in memory', false],
    ['after a restart (undo records from storage, no transaction-index reads)', true],
  ])(
    'reorgs to a better branch %s, returns abandoned transactions to the mempool, and matches a direct replay',
    async (_, restart) => {
      const first = await manager();
      const { store } = first;
      let { chain, mempool } = first;
      const a = spendGenesis(genesis, 0, { fee: 10n });
      const b = spendGenesis(genesis, 1, { fee: 10n });
      const c = spendGenesis(genesis, 2, { fee: 10n });
      const main = branch(chain.tipHeader(), 3, 0, [undefined, a, b]);
      await chain.importBlocks(
        main.map((x) => x.bytes),
        'p',
      );
      if (restart) {
        mempool = new Mempool();
        chain = new ChainManager({ store, genesis, validator, mempool });
      }
      // The side branch forks at height 1, confirms b (also in the abandoned blocks) and c.
      const side = branch(main[0]!.ref, 3, 1, [b, undefined, c]);
      const events: ReorgEvent[] = [];
      chain.on('reorg', (e) => events.push(e));
      const writes = spyWrites(store);
      const getTxLocation = store.getTxLocation.bind(store);
      store.getTxLocation = () => {
        throw new Error('the reorg must not read the transaction index');
      };
      const result = await chain.reorg(
        side.map((x) => x.bytes),
        1,
        'peer-x',
      );
      store.getTxLocation = getTxLocation;
      // One atomic storage switch: roll back to 1 and commit the 3 branch blocks.
      expect(writes.reorgs).toEqual([{ toHeight: 1, commits: 3 }]);
      expect(writes.batches).toEqual([]);
      expect(result).toMatchObject({ forkHeight: 1, depth: 2, returnedTxs: 1 });
      expect(chain.tip()).toEqual({ height: 4, hash: side[2]!.ref.hash });
      expect(events).toHaveLength(1);
      expect(events[0]!.fromPeer).toBe('peer-x');
      // a was only in the abandoned branch: back in the mempool; b and c are confirmed.
      expect(mempool.has(a.txid)).toBe(true);
      expect(mempool.has(b.txid)).toBe(false);
      expect(store.getTxLocation(c.txid)?.height).toBe(4);
      expect(store.getTxLocation(a.txid)).toBeUndefined();

      const replay = await manager();
      await replay.chain.importBlocks([main[0]!.bytes, ...side.map((x) => x.bytes)], 'p');
      expect(snapshot(store)).toEqual(snapshot(replay.store));
    },
  );

  it('leaves storage byte-identical when the branch fails validation or does not win', async () => {
    const { chain, store } = await manager();
    const main = branch(chain.tipHeader(), 4);
    await chain.importBlocks(
      main.map((x) => x.bytes),
      'p',
    );
    const before = snapshot(store);
    const side = branch(main[0]!.ref, 4, 1);
    const last = decode(side[3]!.bytes);
    const forged = reseal(genesis, {
      ...last,
      txs: [{ ...last.txs[0]!, outputs: [{ ...last.txs[0]!.outputs[0]!, value: 1_000n }] }],
    });
    const invalid = await chain
      .reorg([...side.slice(0, 3).map((x) => x.bytes), forged.bytes], 1, 'p')
      .catch((e: unknown) => e);
    expect((invalid as ConsensusError).code).toBe('COINBASE_OVERPAYS');
    expect(snapshot(store)).toEqual(before);
    // Same height as ours after the fork (4): wins only with a lower hash.
    const short = side.slice(0, 3).map((x) => x.bytes);
    const outcome = await chain.reorg(short, 1, 'p').catch((e: unknown) => e);
    if (Buffer.compare(Buffer.from(side[2]!.ref.hash), Buffer.from(main[3]!.ref.hash)) < 0) {
      expect(outcome).not.toBeInstanceOf(Error);
    } else {
      expect((outcome as ChainError).code).toBe('BRANCH_NOT_BETTER');
      expect(snapshot(store)).toEqual(before);
    }
    const notConnected = await chain
      .reorg(
        side.slice(1).map((x) => x.bytes),
        1,
        'p',
      )
      .catch((e: unknown) => e);
    expect(notConnected).toBeInstanceOf(ChainError);
  });

  it('a storage failure in the last commit of a switch changes nothing: COMMIT_FAILED, old chain intact', async () => {
    const { chain, store } = await manager();
    const main = branch(chain.tipHeader(), 4);
    await chain.importBlocks(
      main.map((x) => x.bytes),
      'p',
    );
    const before = snapshot(store);
    const side = branch(main[0]!.ref, 5, 1);
    // Storage refuses the last branch block (its first spend is made to point at nothing).
    const reorgAsync = store.reorgAsync.bind(store);
    store.reorgAsync = (o) => {
      const last = o.commits[o.commits.length - 1]!;
      const broken = { ...last, txs: [{ ...last.txs[0]!, spends: [{ txid: new Uint8Array(32), vout: 9 }] }] };
      return reorgAsync({ toHeight: o.toHeight, commits: [...o.commits.slice(0, -1), broken] });
    };
    const err = await chain
      .reorg(
        side.map((x) => x.bytes),
        1,
        'p',
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChainError);
    expect((err as ChainError).code).toBe('COMMIT_FAILED');
    expect(((err as ChainError).cause as { reason?: string }).reason).toBe('MISSING_UTXO');
    expect(snapshot(store)).toEqual(before);
    expect(chain.tip()).toEqual({ height: 4, hash: main[3]!.ref.hash });
    // Storage works again: the same branch switches.
    store.reorgAsync = reorgAsync;
    await expect(
      chain.reorg(
        side.map((x) => x.bytes),
        1,
        'p',
      ),
    ).resolves.toMatchObject({ depth: 3, newTip: { height: 6 } });
  });

  it('fork choice weighs justification first: a higher branch without our justified block loses, a lower one with a higher justified block wins', async () => {
    const { chain, store } = await manager();
    const tracker = new FinalityTracker({
      genesis,
      chain: { hashAt: (h) => store.getBlockHash(h) },
      finalized: { epoch: 0, hash: genesisHash(genesis) },
    });
    chain.setJustification(tracker);
    const signers = validatorKeys.map((k) => new Signer(k));
    const quorum = (source: Checkpoint, target: Checkpoint) => {
      for (const [i, signer] of signers.entries())
        tracker.add(signVote(genesis.networkId, signer, { validatorIndex: i, source, target }));
      tracker.evaluate();
    };
    const main = branch(chain.tipHeader(), 4);
    await chain.importBlocks(
      main.map((x) => x.bytes),
      'p',
    );
    const genesisCp = { epoch: 0, hash: genesisHash(genesis) };
    quorum(genesisCp, { epoch: 4, hash: main[1]!.ref.hash }); // block 2 of ours is justified
    const justifiedNow = () => ({ epoch: chain.justified().epoch, hash: toHex(chain.justified().hash) });
    expect(justifiedNow()).toEqual({ epoch: 4, hash: toHex(main[1]!.ref.hash) });
    const before = snapshot(store);
    const side = branch(main[0]!.ref, 6, 1); // heights 2..7, forking above block 1
    const higher = await chain
      .reorg(
        side.map((x) => x.bytes),
        1,
        'p',
      )
      .catch((e: unknown) => e);
    expect((higher as ChainError).code).toBe('BRANCH_NOT_BETTER');
    expect(snapshot(store)).toEqual(before);
    // The quorum moves on to the side branch's block 3 (epoch 6 > 4): two side blocks now beat four of ours.
    const sideThree = { epoch: 6, hash: side[1]!.ref.hash };
    quorum(genesisCp, sideThree);
    expect(chain.provesJustified(sideThree)).toBe(true);
    const result = await chain.reorg(
      side.slice(0, 2).map((x) => x.bytes),
      1,
      'p',
    );
    expect(result.newTip.height).toBe(3);
    expect(toHex(chain.tip().hash)).toBe(toHex(side[1]!.ref.hash));
    tracker.evaluate(); // the finality service counts again on every chain change
    expect(justifiedNow()).toEqual({ epoch: 6, hash: toHex(sideThree.hash) });
  });

  it('refuses a reorg deeper than the cap with a typed error', async () => {
    const { chain, store } = await manager({ maxReorgDepth: 2 });
    const main = branch(chain.tipHeader(), 4);
    await chain.importBlocks(
      main.map((x) => x.bytes),
      'p',
    );
    const before = snapshot(store);
    const side = branch(main[0]!.ref, 5, 1);
    const err = await chain
      .reorg(
        side.map((x) => x.bytes),
        1,
        'p',
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChainError);
    expect((err as ChainError).code).toBe('REORG_TOO_DEEP');
    expect(snapshot(store)).toEqual(before);
    const shallow = branch(main[1]!.ref, 4, 1);
    await expect(
      chain.reorg(
        shallow.map((x) => x.bytes),
        2,
        'p',
      ),
    ).resolves.toMatchObject({ depth: 2 });
  });

  it('runs one job at a time and bounds the queue', async () => {
    const { store } = await manager();
    const mempool = new Mempool();
    const chain = new ChainManager({ store, genesis, validator, mempool, maxQueue: 2 });
    const blocks = branch(chain.tipHeader(), 3);
    const jobs = blocks.map((b) => chain.importBlocks([b.bytes], 'p'));
    const settled = await Promise.allSettled(jobs);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect(((settled[2] as PromiseRejectedResult).reason as ChainError).code).toBe('QUEUE_FULL');
    expect(chain.tip().height).toBe(2);
    await chain.stop();
    await expect(chain.importBlocks([blocks[2]!.bytes], 'p')).rejects.toMatchObject({ code: 'STOPPED' });
  });
});
