import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeTransactionData, signTransaction, toHex } from '../../src/internal.js';
import { genesisOutpoint, wallets } from '../helpers.js';
import { TestCluster, waitFor } from '../node-cluster.js';

let cluster: TestCluster | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function spend(c: TestCluster, i: number) {
  return signTransaction(c.genesis.networkId, {
    inputs: [{ ...genesisOutpoint(c.genesis, i), keys: wallets[i]! }],
    outputs: [{ value: 1_000n, recipient: new Uint8Array(32).fill(i + 1) }],
  });
}

describe('accepted transactions are durable', () => {
  it('stores a submission before answering, and admits it again after the node went down', async () => {
    // No validator produces: the transactions stay pending, so only the store can bring them back.
    cluster = new TestCluster({ validators: 1, slotMs: 60_000, genesisOffsetMs: 60_000 });
    const dataDir = mkdtempSync(join(tmpdir(), 'tc-accepted-'));
    dirs.push(dataDir);
    const first = await cluster.add({ dataDir });
    const txs = [spend(cluster, 0), spend(cluster, 1)];
    const results = await first.submitTransactions(txs.map((t) => encodeTransactionData(t.tx)));
    expect(results.map((r) => r.ok)).toEqual([true, true]);
    expect(first.store.pendingTxCount).toBe(2); // on disk before the answer
    await first.stop(); // a stop writes nothing of the mempool: what comes back was stored at accept time
    cluster.nodes.splice(cluster.nodes.indexOf(first), 1);
    const again = await cluster.add({ dataDir });
    expect(again.mempool.count).toBe(2);
    for (const t of txs) expect(again.mempool.has(t.txid)).toBe(true);
  });

  it('sweeps a stored transaction away once a block confirmed it', async () => {
    cluster = new TestCluster({ validators: 1, slotMs: 300 });
    const node = await cluster.add({ validatorIndex: 0 });
    const tx = spend(cluster, 2);
    const [r] = await node.submitTransactions([encodeTransactionData(tx.tx)]);
    expect(r?.ok).toBe(true);
    expect(node.store.pendingTxCount).toBe(1);
    // In a block and out of the mempool: the store shows the block a moment before the chain
    // manager's continuation evicts its transactions, and the sweep keeps what is pending.
    await waitFor(
      () => node.store.getTxLocation(tx.txid) && !node.mempool.has(tx.txid),
      20_000,
      `${toHex(tx.txid)} in a block and out of the mempool`,
    );
    await node.accepted.sweep();
    expect(node.store.pendingTxCount).toBe(0);
    expect(node.accepted.size).toBe(0);
  });

  it('answers MEMPOOL_BUSY (retryable) and keeps nothing when the store cannot take a submission', async () => {
    cluster = new TestCluster({ validators: 1, slotMs: 60_000, genesisOffsetMs: 60_000 });
    const node = await cluster.add();
    node.accepted.persist = async () => {
      throw new Error('DISK_FULL: no space left');
    };
    const tx = spend(cluster, 3);
    const [r] = await node.submitTransactions([encodeTransactionData(tx.tx)]);
    expect(r?.ok).toBe(false);
    expect(r && !r.ok && r.error.code).toBe('MEMPOOL_BUSY');
    expect(node.mempool.count).toBe(0);
    expect(node.gossip.seen.has(tx.txid)).toBe(false);
  });
});
