import { afterEach, describe, expect, it } from 'vitest';
import {
  addressOf,
  buildGenesisBlock,
  type ConsensusNode,
  compareTips,
  decodeBlockData,
  encodeTransactionData,
  fromHex,
  leaderIndex,
  signTransaction,
  toHex,
  utxoSetDigest,
} from '../../src/internal.js';
import { wallets } from '../helpers.js';
import { addressOf_, sameTip, TestCluster, waitFor } from '../node-cluster.js';

let cluster: TestCluster | undefined;

afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

const tipOf = (n: ConsensusNode) => n.chain.tip();
const minHeight = (nodes: readonly ConsensusNode[]) => Math.min(...nodes.map((n) => tipOf(n).height));

function headersOf(node: ConsensusNode, from: number, to: number) {
  const out = [];
  for (let h = from; h <= to; h++) out.push(decodeBlockData(node.store.getBlockBytesAt(h)!).header);
  return out;
}

describe('ConsensusNode cluster (real sockets, LMDB, pool)', () => {
  it('validators produce in turn, a gossiped transaction is mined, and one validator going offline does not stall the chain', async () => {
    cluster = new TestCluster({ validators: 4, slotMs: 250 });
    const nodes: ConsensusNode[] = [];
    for (let i = 0; i < 4; i++) nodes.push(await cluster.add({ validatorIndex: i }));
    await cluster.connectAll();
    await waitFor(() => minHeight(nodes) >= 8 && sameTip(nodes), 20_000, 'height 8 on all nodes');

    const g = cluster.genesis;
    const early = headersOf(nodes[0]!, 1, 8);
    const producers = new Set(early.map((h) => toHex(h.producerPublicKey)));
    expect(producers.size).toBe(4); // every validator produced
    for (const h of early) {
      expect(toHex(h.producerPublicKey)).toBe(
        toHex(g.validators[leaderIndex(g, h.height, h.leaderAttempt)]!),
      );
    }

    // A transaction submitted to one node is gossiped, mined by whoever leads, and confirmed everywhere.
    const tx = signTransaction(g.networkId, {
      inputs: [{ prevTxid: buildGenesisBlock(g).txid, vout: 0, keys: wallets[0]! }],
      outputs: [{ value: 999_990n, recipient: addressOf(wallets[1]!.publicKey) }],
    });
    const [admitted] = await nodes[1]!.submitTransactions([encodeTransactionData(tx.tx)]);
    expect(admitted!.ok).toBe(true);
    await waitFor(
      () => nodes.every((n) => n.store.getTxLocation(tx.txid) !== undefined && n.mempool.count === 0),
      10_000,
      'the transaction confirmed on every node',
    );

    // Validator 3 goes offline: its attempts time out and the next validator takes over.
    await nodes[3]!.stop();
    const live = nodes.slice(0, 3);
    const h0 = Math.max(...live.map((n) => tipOf(n).height));
    await waitFor(() => minHeight(live) >= h0 + 8 && sameTip(live), 25_000, 'progress without validator 3');
    const later = headersOf(live[0]!, h0 + 1, h0 + 8);
    const offline = toHex(g.validators[3]!);
    expect(later.some((h) => h.leaderAttempt >= 1)).toBe(true);
    expect(later.every((h) => toHex(h.producerPublicKey) !== offline)).toBe(true);
    expect(new Set(live.map((n) => utxoSetDigest(n.store).digest)).size).toBe(1);
  });

  it('two partitions build diverging chains, heal, and converge on the better tip with identical UTXO sets', async () => {
    cluster = new TestCluster({ validators: 4, slotMs: 250 });
    const nodes: ConsensusNode[] = [];
    for (let i = 0; i < 4; i++) nodes.push(await cluster.add({ validatorIndex: i }));
    await cluster.connectAll();
    await waitFor(() => minHeight(nodes) >= 2 && sameTip(nodes), 20_000, 'a common start');

    // Partition {0,1} | {2,3}: ban each other across the groups (the session closes and
    // handshakes are refused while the ban lasts).
    const groupA = nodes.slice(0, 2);
    const groupB = nodes.slice(2);
    for (const a of groupA) {
      for (const b of groupB) {
        a.registry.ban(b.registry.nodeId, 60_000, 'test partition');
        b.registry.ban(a.registry.nodeId, 60_000, 'test partition');
      }
    }
    await waitFor(() => nodes.every((n) => n.registry.peers().length === 1), 5_000, 'partitioned peers');
    const split = Math.max(...nodes.map((n) => tipOf(n).height));
    await waitFor(
      () =>
        minHeight(nodes) >= split + 5 &&
        sameTip(groupA) &&
        sameTip(groupB) &&
        !Buffer.from(tipOf(groupA[0]!).hash).equals(Buffer.from(tipOf(groupB[0]!).hash)),
      25_000,
      'both sides to build their own chain',
    );
    for (const n of nodes) n.setProducing(false);
    // Let in-flight blocks settle inside each group, then read the two tips.
    await waitFor(() => sameTip(groupA) && sameTip(groupB), 5_000, 'settled groups');
    const tipA = tipOf(groupA[0]!);
    const tipB = tipOf(groupB[0]!);
    expect(Buffer.from(tipA.hash).equals(Buffer.from(tipB.hash))).toBe(false);
    const winner = compareTips(tipA, tipB) < 0 ? tipA : tipB;
    const losers = winner === tipA ? groupB : groupA;

    // Heal.
    for (const a of groupA) {
      for (const b of groupB) {
        a.registry.unban(b.registry.nodeId);
        b.registry.unban(a.registry.nodeId);
      }
    }
    for (const a of groupA) for (const b of groupB) await a.connect(addressOf_(b));
    await waitFor(() => sameTip(nodes), 20_000, 'convergence after the heal');
    expect(toHex(tipOf(nodes[0]!).hash)).toBe(toHex(winner.hash));
    for (const n of losers) expect(n.status().reorgs).toBeGreaterThanOrEqual(1);
    const digests = nodes.map((n) => utxoSetDigest(n.store));
    expect(new Set(digests.map((d) => d.digest)).size).toBe(1);
    expect(digests[0]!.count).toBeGreaterThan(0);

    // Production resumes on the merged chain.
    for (const n of nodes) n.setProducing(true);
    await waitFor(
      () => minHeight(nodes) >= winner.height + 3 && sameTip(nodes),
      20_000,
      'progress after the heal',
    );
    expect(fromHex(toHex(nodes[1]!.store.getBlockHash(winner.height)!))).toEqual(fromHex(toHex(winner.hash)));
  });

  it('every validator alone on its own branch: after the heal all converge, producing throughout', async () => {
    // The load finding: under event-loop lag every node ended on a branch of its own, each tip
    // reported by one peer only, and a rule asking two peers to report a tip kept them apart
    // until the fork was too deep to ever heal.
    cluster = new TestCluster({ validators: 4, slotMs: 250 });
    const nodes: ConsensusNode[] = [];
    for (let i = 0; i < 4; i++) nodes.push(await cluster.add({ validatorIndex: i }));
    await cluster.connectAll();
    await waitFor(() => minHeight(nodes) >= 2 && sameTip(nodes), 20_000, 'a common start');
    for (const a of nodes)
      for (const b of nodes) if (a !== b) a.registry.ban(b.registry.nodeId, 60_000, 'test');
    await waitFor(() => nodes.every((n) => n.registry.peers().length === 0), 5_000, 'isolated nodes');
    const split = Math.max(...nodes.map((n) => tipOf(n).height));
    await waitFor(
      () =>
        minHeight(nodes) >= split + 3 &&
        new Set(nodes.map((n) => toHex(tipOf(n).hash))).size === nodes.length,
      25_000,
      'four branches',
    );
    for (const a of nodes) for (const b of nodes) if (a !== b) a.registry.unban(b.registry.nodeId);
    for (let i = 0; i < nodes.length; i++) {
      for (let j = i + 1; j < nodes.length; j++) await nodes[i]!.connect(addressOf_(nodes[j]!));
    }
    await waitFor(() => sameTip(nodes) && minHeight(nodes) >= split + 6, 30_000, 'one chain after the heal');
    const digests = nodes.map((n) => utxoSetDigest(n.store));
    expect(new Set(digests.map((d) => d.digest)).size).toBe(1);
  });

  it('heals a partition while every validator keeps producing', async () => {
    cluster = new TestCluster({ validators: 4, slotMs: 250 });
    const nodes: ConsensusNode[] = [];
    for (let i = 0; i < 4; i++) nodes.push(await cluster.add({ validatorIndex: i }));
    await cluster.connectAll();
    await waitFor(() => minHeight(nodes) >= 2 && sameTip(nodes), 20_000, 'a common start');
    const [groupA, groupB] = [nodes.slice(0, 2), nodes.slice(2)];
    const cross = (fn: (a: ConsensusNode, b: ConsensusNode) => void) => {
      for (const a of groupA) for (const b of groupB) fn(a, b);
    };
    cross((a, b) => {
      a.registry.ban(b.registry.nodeId, 60_000, 'test partition');
      b.registry.ban(a.registry.nodeId, 60_000, 'test partition');
    });
    const split = Math.max(...nodes.map((n) => tipOf(n).height));
    await waitFor(
      () =>
        minHeight(nodes) >= split + 4 &&
        !Buffer.from(tipOf(groupA[0]!).hash).equals(Buffer.from(tipOf(groupB[0]!).hash)),
      25_000,
      'diverging chains',
    );
    const healedAt = Math.max(...nodes.map((n) => tipOf(n).height));
    cross((a, b) => {
      a.registry.unban(b.registry.nodeId);
      b.registry.unban(a.registry.nodeId);
    });
    cross((a, b) => void a.connect(addressOf_(b)).catch(() => undefined));
    await waitFor(
      () => minHeight(nodes) >= healedAt + 3 && sameTip(nodes),
      30_000,
      'one chain after the heal, with production running',
    );
    expect(nodes.reduce((n, x) => n + x.status().reorgs, 0)).toBeGreaterThanOrEqual(2);
    for (const n of nodes) n.setProducing(false);
    await waitFor(() => sameTip(nodes), 10_000, 'settled tips');
    expect(new Set(nodes.map((n) => utxoSetDigest(n.store).digest)).size).toBe(1);
  });
});
