import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeIdentity, nodeBanKey } from '@tc/registry';
import { u64, u64ToNumber } from '@tc/wire';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { voteToWire } from '../../src/finality/vote.js';
import {
  type ConsensusNode,
  decodeBlockData,
  type ForkCheckResult,
  headerHash,
  leaderIndex,
  Signer,
  signVote,
  toHex,
  utxoSetDigest,
} from '../../src/internal.js';
import { reseal } from '../helpers.js';
import { addressOf_, buildBranch, TestCluster, waitFor } from '../node-cluster.js';

let cluster: TestCluster | undefined;
const cleanup: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const fn of cleanup.splice(0)) await fn();
  await cluster?.stop();
  cluster = undefined;
});

/** Runs checks until `done` holds (bounded: a check may join one already running). */
async function checkUntil(
  node: ConsensusNode,
  done: (r: ForkCheckResult) => boolean,
): Promise<ForkCheckResult> {
  let last: ForkCheckResult = { action: 'none' };
  for (let i = 0; i < 10; i++) {
    last = await node.checkForks();
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  return last;
}

describe('fork watcher through ConsensusNode', () => {
  it('waits for minPeers distinct peers before a reorg, then switches, then extends with range sync', async () => {
    cluster = new TestCluster({ validators: 2, slotMs: 250, genesisOffsetMs: -600_000 });
    // The default is 1; an operator who asks for 2 gets the waiting below.
    const opts = { forkCheckIntervalMs: 60_000, minPeers: 2 };
    const x = await cluster.add(opts);
    const [p1, p2, p3] = [await cluster.add(opts), await cluster.add(opts), await cluster.add(opts)];
    const g0 = x.chain.tipHeader();
    const a = buildBranch(cluster, g0, 3);
    const first = buildBranch(cluster, g0, 1);
    const b = buildBranch(cluster, first.tip, 4, 1); // fork at height 1, tip at 5
    for (const n of [x, p2!, p3!]) await n.chain.importBlocks(a.bytes, 'test');
    await p1!.chain.importBlocks([a.bytes[0]!, ...b.bytes], 'test');
    for (const p of [p2!, p3!, p1!]) await x.connect(addressOf_(p));
    await waitFor(() => x.registry.peers().length === 3, 5_000, 'three peers');

    // Only p1 reports the better tip: 1 < min(2, 3 peers) → no switch.
    const waiting = await checkUntil(x, (r) => r.action === 'waiting-support');
    expect(waiting).toMatchObject({ action: 'waiting-support', height: 5, support: 1, required: 2 });
    expect(toHex(x.chain.tip().hash)).toBe(toHex(a.tip.hash));

    // A second peer moves to the better branch and one block beyond it. Its own tip (6) has one
    // reporting peer; p1's tip (5) has two (p1, and p2 whose chain holds it): x switches to 5
    // (abandoning 2 blocks), then extends to 6.
    const c = buildBranch(cluster, b.tip, 40);
    await p2!.chain.reorg([...b.bytes, c.bytes[0]!], 1, 'test');
    const switched = await checkUntil(x, (r) => r.action === 'reorg');
    expect(switched.action).toBe('reorg');
    expect(switched.action === 'reorg' && switched.result).toMatchObject({
      forkHeight: 1,
      depth: 2,
      newTip: { height: 5 },
    });
    await waitFor(() => x.chain.tip().height === 6, 5_000, 'extension to p2’s tip');
    expect(toHex(x.chain.tip().hash)).toBe(toHex(p2!.chain.tip().hash));
    expect(utxoSetDigest(x.store)).toEqual(utxoSetDigest(p2!.store));

    // p1 runs ahead on the same chain: nothing is abandoned, so x extends (range sync).
    await p1!.chain.importBlocks(c.bytes, 'test');
    const extended = await checkUntil(x, () => x.chain.tip().height === c.tip.height);
    expect(extended.action).toBe('extended');
    expect(toHex(x.chain.tip().hash)).toBe(toHex(c.tip.hash));
    expect(x.status()).toMatchObject({ height: 45, syncing: false, reorgs: 1 });

    // A fresh node follows by itself once connected (its connect triggers a check).
    const fresh = await cluster.add(opts);
    await fresh.connect(addressOf_(x));
    await waitFor(() => fresh.chain.tip().height === 45, 10_000, 'fresh node catches up');
    expect(utxoSetDigest(fresh.store)).toEqual(utxoSetDigest(x.store));
  });

  it('holds a justified block against a taller branch, and the taller side moves to it once the votes reach it', async () => {
    cluster = new TestCluster({ validators: 4, slotMs: 250, genesisOffsetMs: -600_000 });
    const opts = { forkCheckIntervalMs: 60_000 };
    const [x, p] = [await cluster.add(opts), await cluster.add(opts)];
    const g0 = x.chain.tipHeader();
    const a = buildBranch(cluster, g0, 3);
    const first = buildBranch(cluster, g0, 1);
    const taller = buildBranch(cluster, first.tip, 5, 1); // forks above block 1, tip at 6
    await x.chain.importBlocks(a.bytes, 'test');
    await p.chain.importBlocks([a.bytes[0]!, ...taller.bytes], 'test');
    // 3 of 4 validators justify x's block 2 (epoch 4); only x holds the votes.
    const g = cluster.genesis;
    const target = { epoch: 4, hash: x.store.getBlockHash(2)! };
    const votes = [0, 1, 2].map((i) =>
      voteToWire(
        signVote(g.networkId, new Signer(cluster!.validatorKeys[i]!), {
          validatorIndex: i,
          source: { epoch: 0, hash: g0.hash },
          target,
        }),
      ),
    );
    x.finality.onMessage('test', 'votes', { votes });
    await waitFor(() => x.chain.justified().epoch === 4, 10_000, 'x sees block 2 justified');

    const held: number[] = [];
    x.forks.on('fork:held', (e) => held.push(e.height));
    await x.connect(addressOf_(p));
    await waitFor(() => x.registry.peers().length === 1, 5_000, 'connected');
    const result = await x.checkForks();
    expect(result.action).not.toBe('reorg');
    expect(held).toContain(6);
    expect(toHex(x.chain.tip().hash)).toBe(toHex(a.tip.hash));

    // The new peer got x's votes on connect; its check sees x's shorter chain outrank its own.
    await waitFor(() => p.finality.tracker.provesJustified(target), 10_000, 'p holds the votes');
    const moved = await checkUntil(p, (r) => r.action === 'reorg');
    expect(moved).toMatchObject({ action: 'reorg', result: { forkHeight: 1, newTip: { height: 3 } } });
    expect(toHex(p.chain.tip().hash)).toBe(toHex(a.tip.hash));
    await waitFor(() => p.chain.justified().epoch === 4, 10_000, 'p counts block 2 justified');
  });

  it('with a single connected peer, one reporting peer is enough', async () => {
    cluster = new TestCluster({ validators: 2, slotMs: 250, genesisOffsetMs: -600_000 });
    const opts = { forkCheckIntervalMs: 60_000 };
    const [x, p] = [await cluster.add(opts), await cluster.add(opts)];
    const g0 = x.chain.tipHeader();
    const a = buildBranch(cluster, g0, 2);
    const b = buildBranch(cluster, g0, 3, 1);
    await x.chain.importBlocks(a.bytes, 'test');
    await p!.chain.importBlocks(b.bytes, 'test');
    await x!.connect(addressOf_(p!));
    await checkUntil(x!, () => x!.chain.tip().height === 3);
    expect(toHex(x!.chain.tip().hash)).toBe(toHex(b.tip.hash));
    expect(x!.status().lastReorg).toMatchObject({ forkHeight: 0, depth: 2 });
  });

  it('bans a peer that serves an invalid branch and leaves storage untouched', async () => {
    cluster = new TestCluster({ validators: 2, slotMs: 250, genesisOffsetMs: -600_000 });
    const x = await cluster.add({ forkCheckIntervalMs: 60_000 });
    const g0 = x.chain.tipHeader();
    const a = buildBranch(cluster, g0, 2);
    await x.chain.importBlocks(a.bytes, 'test');
    const before = utxoSetDigest(x.store);
    // A branch from genesis, one block longer, whose last block's coinbase overpays.
    const b = buildBranch(cluster, g0, 3, 1);
    const last = decodeBlockData(b.bytes[2]!);
    const cb = last.txs[0]!;
    const forged = reseal(
      cluster.genesis,
      { ...last, txs: [{ ...cb, outputs: [{ ...cb.outputs[0]!, value: cb.outputs[0]!.value + 1n }] }] },
      cluster.validatorKeys[leaderIndex(cluster.genesis, 3, 0)]!,
    );
    const branch = [...b.bytes.slice(0, 2), forged.bytes];
    const hashes = [g0.hash, ...branch.map((bytes) => headerHash(decodeBlockData(bytes).header))];

    const liar = cluster.bareRegistry();
    liar.handle('getChainTip', () => ({ height: u64(3), hash: hashes[3]! }));
    liar.handle('getBlockHash', (body) => ({
      height: body.height,
      hash: hashes[u64ToNumber(body.height)] ?? new Uint8Array(0),
    }));
    liar.handle('getBlockRange', function* (body) {
      const start = u64ToNumber(body.startHeight);
      yield { blocks: branch.slice(start - 1, start - 1 + body.count) };
    });
    await liar.start();
    await liar.dial(addressOf_(x));
    await waitFor(
      () => x.registry.bans().some((r) => r.key === nodeBanKey(liar.nodeId)),
      10_000,
      'the liar banned',
    );
    expect(toHex(x.chain.tip().hash)).toBe(toHex(a.tip.hash));
    expect(utxoSetDigest(x.store)).toEqual(before);
    expect(x.status().reorgs).toBe(0);
  });

  it('a restarted validator resumes on its stored chain', async () => {
    cluster = new TestCluster({ validators: 1, slotMs: 200 });
    const dir = mkdtempSync(join(tmpdir(), 'tc-restart-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const identity = NodeIdentity.generate();
    const first = await cluster.add({ validatorIndex: 0, dataDir: dir, identity });
    await waitFor(() => first.chain.tip().height >= 3, 10_000, 'three blocks');
    await first.stop();
    const stopped = first.chain.tip();
    const metrics = new Registry();
    const again = await cluster.add({ validatorIndex: 0, dataDir: dir, identity, metricsRegistry: metrics });
    expect(again.chain.tip().height).toBe(stopped.height);
    expect(toHex(again.chain.tip().hash)).toBe(toHex(stopped.hash));
    await waitFor(() => again.chain.tip().height >= stopped.height + 2, 10_000, 'production resumes');
    expect(toHex(again.store.getBlockHash(stopped.height)!)).toBe(toHex(stopped.hash));
    const value = async (name: string) => (await metrics.getSingleMetric(name)!.get()).values;
    expect((await value('tc_consensus_blocks_produced_total'))[0]!.value).toBeGreaterThanOrEqual(2);
    expect(await value('tc_consensus_blocks_connected_total')).toContainEqual(
      expect.objectContaining({ labels: { source: 'local' } }),
    );
    expect((await value('tc_consensus_chain_height'))[0]!.value).toBeGreaterThanOrEqual(stopped.height + 2);
  });

  it('stops cleanly in the middle of a range sync', async () => {
    cluster = new TestCluster({ validators: 2, slotMs: 100, genesisOffsetMs: -600_000 });
    const source = await cluster.add({ forkCheckIntervalMs: 60_000 });
    const chain = buildBranch(cluster, source.chain.tipHeader(), 600);
    for (let i = 0; i < chain.bytes.length; i += 200) {
      await source.chain.importBlocks(chain.bytes.slice(i, i + 200), 'test');
    }
    const fresh = await cluster.add({ forkCheckIntervalMs: 60_000, rangeSync: { batchSize: 16 } });
    const started = new Promise<void>((resolve) => fresh.once('sync:start', () => resolve()));
    await fresh.connect(addressOf_(source));
    await started;
    await waitFor(() => fresh.chain.tip().height >= 32, 10_000, 'some blocks imported');
    await fresh.stop();
    expect(fresh.store.closed).toBe(true);
    const height = fresh.chain.tip().height;
    expect(height).toBeGreaterThanOrEqual(32);
    expect(height).toBeLessThanOrEqual(600);
    expect(fresh.registry.peers()).toHaveLength(0);
  });

  it('a node that fails to build releases its store and pool', async () => {
    cluster = new TestCluster({ validators: 1, slotMs: 200 });
    const dir = mkdtempSync(join(tmpdir(), 'tc-fail-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    await expect(
      cluster.add({
        dataDir: dir,
        validator: undefined,
        registryOptions: { limits: { requestTimeoutMs: -1 } },
      }),
    ).rejects.toBeInstanceOf(RangeError);
    // The directory lock was released: the same store opens again.
    const node = await cluster.add({ dataDir: dir });
    expect(node.chain.tip().height).toBe(0);
  });
});
