import { afterEach, describe, expect, it } from 'vitest';
import { voteFromWire } from '../../src/finality/vote.js';
import {
  buildBlock,
  type ConsensusNode,
  decodeBlockData,
  headerHash,
  slashable,
  toHex,
  type Vote,
} from '../../src/internal.js';
import { addressOf_, finalizedOf, minFinalized, sameTip, TestCluster, waitFor } from '../node-cluster.js';

let cluster: TestCluster | undefined;

afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

const tipOf = (n: ConsensusNode) => n.chain.tip();

/** Every finalized block a node ever announced, to check none is ever reverted anywhere. */
function recordFinals(nodes: readonly ConsensusNode[]): { height: number; hash: string }[] {
  const finals: { height: number; hash: string }[] = [];
  for (const n of nodes) n.on('finalized', (e) => finals.push({ height: e.height, hash: toHex(e.hash) }));
  return finals;
}

function stillCanonicalEverywhere(
  nodes: readonly ConsensusNode[],
  finals: readonly { height: number; hash: string }[],
) {
  for (const f of finals) {
    for (const n of nodes) {
      const there = n.store.getBlockHash(f.height);
      expect(there && toHex(there), `finalized ${f.height} on ${n.registry.nodeId.slice(0, 8)}`).toBe(f.hash);
    }
  }
}

function partition(a: readonly ConsensusNode[], b: readonly ConsensusNode[], on: boolean): void {
  for (const x of a) {
    for (const y of b) {
      if (on) {
        x.registry.ban(y.registry.nodeId, 120_000, 'test partition');
        y.registry.ban(x.registry.nodeId, 120_000, 'test partition');
      } else {
        x.registry.unban(y.registry.nodeId);
        y.registry.unban(x.registry.nodeId);
      }
    }
  }
}

describe('finality under faults (real nodes)', { timeout: 240_000 }, () => {
  it('a 2+2 partition finalizes nothing on either side, heals, and no finalized block is ever reverted', async () => {
    cluster = new TestCluster({ validators: 4, slotMs: 250 });
    const nodes: ConsensusNode[] = [];
    for (let i = 0; i < 4; i++) nodes.push(await cluster.add({ validatorIndex: i }));
    const finals = recordFinals(nodes);
    await cluster.connectAll();
    await waitFor(() => minFinalized(nodes) >= 3, 60_000, 'finality before the split');
    const [a, b] = [nodes.slice(0, 2), nodes.slice(2)];
    partition(a, b, true);
    await waitFor(() => nodes.every((n) => n.registry.peers().length === 1), 10_000, 'partitioned');
    const split = Math.max(...nodes.map((n) => tipOf(n).height));
    // Votes already in flight may finalize one more block; after that, nothing on either side.
    await waitFor(
      () => Math.min(...nodes.map((n) => tipOf(n).height)) >= split + 3,
      60_000,
      'both sides build',
    );
    const frozen = nodes.map(finalizedOf);
    await waitFor(
      () => Math.min(...nodes.map((n) => tipOf(n).height)) >= split + 10,
      60_000,
      'both sides build on',
    );
    expect(nodes.map(finalizedOf)).toEqual(frozen);

    partition(a, b, false);
    for (const x of a) for (const y of b) await x.connect(addressOf_(y));
    await waitFor(() => sameTip(nodes), 60_000, 'convergence after the heal');
    await waitFor(() => minFinalized(nodes) > Math.max(...frozen) + 2, 60_000, 'finality after the heal');
    stillCanonicalEverywhere(nodes, finals);
  });

  it('an equivocating validator leaves evidence on every honest node, and nothing conflicting is final', async () => {
    cluster = new TestCluster({ validators: 4, slotMs: 250 });
    const nodes: ConsensusNode[] = [];
    for (let i = 0; i < 3; i++) nodes.push(await cluster.add({ validatorIndex: i }));
    const liar = await cluster.add({ validatorIndex: 3, finality: { equivocate: true } });
    const finals = recordFinals(nodes);
    await cluster.connectAll([...nodes, liar]);
    await waitFor(
      () => nodes.every((n) => n.finality.evidence.count >= 1),
      60_000,
      'evidence on every honest node',
    );
    for (const n of nodes) {
      const listed = n.finality.evidence.list();
      expect(listed.some((e) => e.kind === 'votes' && e.validatorIndex === 3)).toBe(true);
      expect(listed.every((e) => e.validatorIndex === 3)).toBe(true); // no honest validator accused
    }
    await waitFor(() => minFinalized(nodes) >= 5, 60_000, 'finality goes on (3 honest of 4)');
    stillCanonicalEverywhere(nodes, finals);
  });

  it('two blocks signed by one producer for one height and attempt are evidence, relayed to every node', async () => {
    cluster = new TestCluster({ validators: 4, slotMs: 250 });
    const nodes: ConsensusNode[] = [];
    for (let i = 0; i < 4; i++) nodes.push(await cluster.add({ validatorIndex: i }));
    await cluster.connectAll();
    await waitFor(() => Math.min(...nodes.map((n) => tipOf(n).height)) >= 4, 60_000, 'a few blocks');
    const node = nodes[0]!;
    const height = tipOf(node).height - 1;
    const ours = decodeBlockData(node.store.getBlockBytesAt(height)!);
    const parent = decodeBlockData(node.store.getBlockBytesAt(height - 1)!);
    const producer = cluster.validatorKeys.findIndex(
      (k) => toHex(k.publicKey) === toHex(ours.header.producerPublicKey),
    );
    const twin = buildBlock({
      parent: { height: height - 1, hash: headerHash(parent.header), timestampMs: parent.header.timestampMs },
      txs: [],
      producerKey: cluster.validatorKeys[producer]!,
      attempt: ours.header.leaderAttempt,
      nowMs: ours.header.timestampMs,
      timestampMs: ours.header.timestampMs,
      genesis: cluster.genesis,
      recipient: new Uint8Array(32).fill(7),
    });
    expect(toHex(twin.hash)).not.toBe(toHex(headerHash(ours.header)));
    const peer = cluster.bareRegistry();
    await peer.start();
    const info = await peer.dial(addressOf_(node));
    await peer.send(info.id, { kind: 'blockAnnounce', body: { block: twin.bytes } });
    await waitFor(
      () => nodes.every((n) => n.finality.evidence.count >= 1),
      30_000,
      'block evidence everywhere',
    );
    for (const n of nodes) {
      expect(n.finality.evidence.list()).toEqual([
        expect.objectContaining({ kind: 'blocks', validatorIndex: producer, height }),
      ]);
    }
  });

  it('a validator restarted on its store never signs two conflicting votes, and a fresh node gets certificates by sync', async () => {
    cluster = new TestCluster({ validators: 4, slotMs: 250 });
    const nodes: ConsensusNode[] = [];
    for (let i = 0; i < 4; i++) nodes.push(await cluster.add({ validatorIndex: i }));
    await cluster.connectAll();
    // An observer keeps every vote it is sent, across the restarts.
    const observer = cluster.bareRegistry();
    const seen: Vote[] = [];
    observer.on('message', (m) => {
      if (m.kind === 'votes') for (const v of m.body.votes) seen.push(voteFromWire(v));
    });
    await observer.start();
    for (const n of nodes) await observer.dial(addressOf_(n));
    await waitFor(() => minFinalized(nodes) >= 3, 60_000, 'finality');
    let restarted = nodes[3]!;
    const dataDir = restarted.store.path;
    for (let round = 0; round < 3; round++) {
      await restarted.stop();
      cluster.nodes.splice(cluster.nodes.indexOf(restarted), 1);
      restarted = await cluster.add({ validatorIndex: 3, dataDir });
      await cluster.connectAll([...nodes.slice(0, 3), restarted].filter((n, i, all) => all.indexOf(n) === i));
      await observer.dial(addressOf_(restarted)).catch(() => undefined);
      const at = tipOf(restarted).height;
      await waitFor(() => tipOf(restarted).height >= at + 3, 60_000, `restart ${round} catching up`);
    }
    const mine = seen.filter((v) => v.validatorIndex === 3);
    expect(mine.length).toBeGreaterThan(3);
    for (let i = 0; i < mine.length; i++) {
      for (let j = i + 1; j < mine.length; j++) expect(slashable(mine[i]!, mine[j]!)).toBeUndefined();
    }
    for (const n of cluster.nodes) expect(n.finality.evidence.count).toBe(0);

    // A fresh node syncs from node 0 alone (the others stopped, so no quorum of new votes can
    // finalize anything): only certificates can make it final, carried by its range answers or
    // as the votes of a quorum link to the next epoch sent on connect (README 15.1).
    for (const n of [nodes[1]!, nodes[2]!, restarted]) await n.stop();
    const server = nodes[0]!;
    const serverFinal = server.finality.finalized;
    expect(server.store.getCertificate(serverFinal.height)).toBeDefined();
    const fresh = await cluster.add({});
    await fresh.connect(addressOf_(server));
    await waitFor(
      () => finalizedOf(fresh) >= serverFinal.height,
      60_000,
      'the fresh node finalizes what it synced',
    );
    expect(toHex(fresh.finality.finalized.hash)).toBe(toHex(server.store.getBlockHash(finalizedOf(fresh))!));
    // Votes in flight at the stops may have finalized a later block on node 0 meanwhile.
    const freshFinal = finalizedOf(fresh);
    expect(fresh.store.getCertificate(freshFinal)).toBeDefined();
    expect(server.store.getCertificate(freshFinal)).toBeDefined();
  });
});
