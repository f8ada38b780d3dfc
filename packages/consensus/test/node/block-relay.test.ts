import { afterEach, describe, expect, it } from 'vitest';
import { type ConsensusNode, toHex } from '../../src/internal.js';
import { addressOf_, TestCluster, waitFor } from '../node-cluster.js';

let cluster: TestCluster | undefined;

afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

describe('block relay: whole to a few peers, by hash to the rest', { timeout: 240_000 }, () => {
  it('every node gets every block, fetched once after a hash, with few whole copies per node', async () => {
    cluster = new TestCluster({ validators: 1, slotMs: 250 });
    const producer = await cluster.add({ validatorIndex: 0 });
    const hub = await cluster.add({});
    const leaves: ConsensusNode[] = [];
    for (let i = 0; i < 5; i++) leaves.push(await cluster.add({}));
    // producer — hub — five leaves, the leaves meshed among themselves: every block reaches the
    // leaves through the hub, which pushes it whole to 2 of them and announces it to 3.
    await producer.connect(addressOf_(hub));
    for (const leaf of leaves) await hub.connect(addressOf_(leaf));
    for (let i = 0; i < leaves.length; i++) {
      for (let j = i + 1; j < leaves.length; j++) await leaves[i]!.connect(addressOf_(leaves[j]!));
    }
    let wholeCopies = 0;
    let hashes = 0;
    for (const leaf of leaves) {
      leaf.registry.on('message', (m) => {
        if (m.kind === 'blockInventory') hashes++;
        if (m.kind === 'blockAnnounce') wholeCopies++;
      });
    }
    const all = [producer, hub, ...leaves];
    const from = producer.chain.tip().height;
    await waitFor(() => producer.chain.tip().height >= from + 8, 60_000, '8 blocks produced');
    producer.setProducing(false);
    await waitFor(
      () => all.every((n) => toHex(n.chain.tip().hash) === toHex(producer.chain.tip().hash)),
      60_000,
      'every node at the producer tip',
    );
    const blocks = producer.chain.tip().height - from;
    expect(hashes).toBeGreaterThan(0); // blocks travelled by hash and were fetched
    // A leaf receives a block whole at most from the hub (2 of 5) and from leaves that got it
    // whole (2 pushes each): far fewer than one copy per peer (5 peers, 8+ blocks).
    expect(wholeCopies / (blocks * leaves.length)).toBeLessThan(3);
  });
});
