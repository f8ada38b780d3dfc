// Relay with no loss under load: a short step on a real 4-node cluster (real processes, LMDB,
// worker threads, sockets on 127.0.0.1). Asserts outcomes only, never rates or durations.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allBans } from '../src/cluster.mjs';
import { defaultDir, startLoadCluster, stopCluster } from '../src/load.mjs';
import { metricSum } from '../src/rpc.mjs';
import { runStep } from '../src/step.mjs';

describe('4 validators under transaction load', () => {
  let cluster;
  beforeAll(async () => {
    cluster = await startLoadCluster({ count: 4, slotMs: 500, utxos: 1_200, dir: defaultDir('relay-test') });
  }, 180_000);
  afterAll(async () => {
    if (cluster) await stopCluster(cluster);
  });

  it('includes every accepted transaction on one chain, relays by inventory, and punishes nobody', async () => {
    const step = await runStep({
      nodes: cluster.nodes,
      wallet: cluster.wallet,
      rate: 200,
      seconds: 4,
      drainTimeoutMs: 120_000,
    });
    expect(step.offered).toBe(800);
    expect(step.drained).toBe(true);
    expect(step.tipsAgree).toBe(true);
    expect(step.accepted).toBeGreaterThan(0);
    expect(step.lost).toBe(0);
    expect(step.included).toBe(step.accepted);
    expect(await allBans(cluster.nodes)).toEqual([]);
    for (const n of cluster.nodes) {
      const text = await n.rpc.metrics();
      expect(metricSum(text, 'tc_registry_bans_total')).toBe(0);
      expect(metricSum(text, 'tc_registry_peer_actions_total', 'action="score"')).toBe(0);
      // Bodies travel by inventory and fetch; each block skips what the mempool verified.
      expect(metricSum(text, 'tc_registry_messages_total', 'kind="txInventory"')).toBeGreaterThan(0);
      expect(metricSum(text, 'tc_registry_messages_total', 'kind="getTxs"')).toBeGreaterThan(0);
      expect(metricSum(text, 'tc_consensus_sig_cache_total', 'result="hit"')).toBeGreaterThan(0);
    }
  });
});
