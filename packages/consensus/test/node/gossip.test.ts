import { nodeBanKey, type PeerConnectionRegistry } from '@tc/registry';
import { decodeBlock, encodeBlock, encodeTransaction, u64, u64ToNumber } from '@tc/wire';
import { afterEach, describe, expect, it } from 'vitest';
import {
  addressOf,
  attemptAt,
  buildBlock,
  buildGenesisBlock,
  type ConsensusNode,
  encodeTransactionData,
  genesisHash,
  leaderFor,
  signTransaction,
  toHex,
  toPbTransaction,
} from '../../src/internal.js';
import { wallets } from '../helpers.js';
import { addressOf_, TestCluster, waitFor } from '../node-cluster.js';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

/** A bare registry on the cluster's network: plays a hostile or curious peer. */
async function rawPeer(c: TestCluster, node: ConsensusNode): Promise<PeerConnectionRegistry> {
  const raw = c.bareRegistry();
  await raw.start();
  await raw.dial(addressOf_(node));
  return raw;
}

function spend(c: TestCluster, i: number, opts: { fee?: bigint; breakSignature?: boolean } = {}) {
  const fee = opts.fee ?? 10n;
  const signed = signTransaction(c.genesis.networkId, {
    inputs: [{ prevTxid: buildGenesisBlock(c.genesis).txid, vout: i, keys: wallets[i]! }],
    outputs: [
      { value: 1_000_000n - fee, recipient: addressOf(wallets[(i + 1) % wallets.length]!.publicKey) },
    ],
  });
  if (!opts.breakSignature) return signed;
  const input = signed.tx.inputs[0]!;
  const signature = input.signature.slice();
  signature[0]! ^= 1;
  return { ...signed, tx: { ...signed.tx, inputs: [{ ...input, signature }] } };
}

describe('gossip and request handlers', () => {
  it('gossips transactions once through a line of nodes and answers the pending-transactions query', async () => {
    cluster = new TestCluster({ validators: 1, slotMs: 60_000, genesisOffsetMs: 60_000 });
    const [a, b, c] = [await cluster.add(), await cluster.add(), await cluster.add()];
    await a!.connect(addressOf_(b!));
    await b!.connect(addressOf_(c!));
    const txs = [spend(cluster, 0), spend(cluster, 1, { fee: 50n })];
    const results = await a!.submitTransactions(txs.map((t) => encodeTransactionData(t.tx)));
    expect(results.map((r) => r.ok)).toEqual([true, true]);
    await waitFor(() => c!.mempool.count === 2 && b!.mempool.count === 2, 5_000, 'relay a → b → c');
    // Nothing loops: every node saw each txid once and stays at 2 entries.
    for (const n of [a!, b!, c!]) {
      expect(n.gossip.seen.has(txs[0]!.txid)).toBe(true);
      expect(n.mempool.count).toBe(2);
    }
    const raw = await rawPeer(cluster, c!);
    const pending = await raw.request(c!.registry.nodeId, { kind: 'getPendingTxs', body: { max: 10 } });
    expect(pending.txs.map((t) => toHex(encodeTransaction(t)))).toEqual([
      toHex(encodeTransaction(toPbTransaction(txs[1]!.tx))),
      toHex(encodeTransaction(toPbTransaction(txs[0]!.tx))),
    ]);
    const tip = await raw.request(c!.registry.nodeId, { kind: 'getChainTip', body: {} });
    expect(u64ToNumber(tip.height)).toBe(0);
    const hash = await raw.request(c!.registry.nodeId, { kind: 'getBlockHash', body: { height: u64(0) } });
    expect(toHex(hash.hash)).toBe(toHex(genesisHash(cluster.genesis)));
    const none = await raw.request(c!.registry.nodeId, { kind: 'getBlockHash', body: { height: u64(5) } });
    expect(none.hash.length).toBe(0);
  });

  it("marks a connected block's transactions seen, so a late announcement of one is not fetched", async () => {
    cluster = new TestCluster({ validators: 1, slotMs: 300 });
    const producer = await cluster.add({ validatorIndex: 0 });
    const follower = await cluster.add();
    await follower.connect(addressOf_(producer));
    const connected: Uint8Array[][] = [];
    follower.on('block', (e: { plan: { txs: readonly { txid: Uint8Array }[] } }) =>
      connected.push(e.plan.txs.map((t) => t.txid)),
    );
    await waitFor(() => connected.length >= 1, 20_000, 'a block reaches the follower');
    // The coinbase is never relayed as a transaction: only the block can have marked it.
    const coinbase = connected[0]![0]!;
    expect(follower.gossip.seen.has(coinbase)).toBe(true);
    follower.gossip.relay.onInventory(producer.registry.nodeId, [coinbase]);
    expect(follower.gossip.relay.fetchingCount).toBe(0);
  });

  it('bans the sender of an invalid transaction or an invalid announced block through the registry', async () => {
    cluster = new TestCluster({ validators: 1, slotMs: 300 });
    const node = await cluster.add();
    const faults: string[] = [];
    node.on('peer:fault', (f) => faults.push(f.code));

    const txPeer = await rawPeer(cluster, node);
    const bad = spend(cluster, 2, { breakSignature: true });
    await txPeer.send(node.registry.nodeId, {
      kind: 'txBroadcast',
      body: { txs: [toPbTransaction(bad.tx)] },
    });
    await waitFor(
      () => node.registry.bans().some((b) => b.key === nodeBanKey(txPeer.nodeId)),
      5_000,
      'tx ban',
    );
    expect(faults).toContain('BAD_TX_SIGNATURE');
    expect(node.mempool.count).toBe(0);

    const blockPeer = await rawPeer(cluster, node);
    const parent = node.chain.tipHeader();
    await waitFor(() => Date.now() >= parent.timestampMs + cluster!.genesis.slotMs, 5_000, 'the first slot');
    const now = Date.now();
    const attempt = attemptAt(cluster.genesis, parent.timestampMs, now)!;
    expect(toHex(leaderFor(cluster.genesis, 1, attempt))).toBe(toHex(cluster.validatorKeys[0]!.publicKey));
    const built = buildBlock({
      parent,
      producerKey: cluster.validatorKeys[0]!,
      attempt,
      nowMs: now,
      genesis: cluster.genesis,
    });
    const block = decodeBlock(built.bytes);
    const sig = block.producerSignature.slice();
    sig[3]! ^= 0x40;
    await blockPeer.send(node.registry.nodeId, {
      kind: 'blockAnnounce',
      body: { block: encodeBlock({ ...block, producerSignature: sig }) },
    });
    await waitFor(
      () => node.registry.bans().some((b) => b.key === nodeBanKey(blockPeer.nodeId)),
      5_000,
      'block ban',
    );
    expect(faults).toContain('BAD_PRODUCER_SIGNATURE');
    expect(node.chain.tip().height).toBe(0);
    await waitFor(() => blockPeer.peers().length === 0, 5_000, 'banned peer disconnected');
  });
});
