import { HandlerError } from '@tc/registry';
import { u64, u64ToNumber } from '@tc/wire';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { type ConsensusNode, maxPlausibleHeight } from '../../src/internal.js';
import { addressOf_, TestCluster, waitFor } from '../node-cluster.js';

let cluster: TestCluster | undefined;

afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

/**
 * The lying-tip attack: a peer claims a far tip, answers block-hash queries with the victim's
 * own (public) hashes, so its chain seems to extend the victim's, and answers every block range
 * with NOT_FOUND after a pause. `claim(ourHeight)` is the height it claims.
 */
async function liar(victim: ConsensusNode, c: TestCluster, claim: (ours: number) => number, pauseMs = 300) {
  const registry = c.bareRegistry();
  const hashAt = (h: number) => victim.store.getBlockHash(h) ?? new Uint8Array(32).fill(7);
  registry.handle('getChainTip', () => ({ height: u64(claim(victim.chain.tip().height)), hash: hashAt(0) }));
  registry.handle('getBlockHash', (body) => ({
    height: body.height,
    hash: hashAt(u64ToNumber(body.height)),
  }));
  registry.handle('getBlockRange', async function* () {
    await new Promise((r) => setTimeout(r, pauseMs));
    throw new HandlerError('NOT_FOUND', 'no such blocks');
  });
  await registry.start();
  await registry.dial(addressOf_(victim));
  return registry;
}

describe('a lying tip', () => {
  it('a height beyond the schedule is dropped and disconnected at once, and production goes on', async () => {
    cluster = new TestCluster({ validators: 1, slotMs: 200 });
    const victim = await cluster.add({ validatorIndex: 0 });
    const faults: string[] = [];
    victim.on('peer:fault', (f) => faults.push(f.code));
    await waitFor(() => victim.chain.tip().height >= 2, 20_000, 'first blocks');
    const bad = await liar(victim, cluster, (ours) => ours + 1_000_000);
    const from = victim.chain.tip().height;
    await waitFor(() => faults.includes('IMPLAUSIBLE_TIP'), 20_000, 'the claim judged');
    await waitFor(() => !victim.registry.peers().some((p) => p.id === bad.nodeId), 20_000, 'the liar gone');
    await waitFor(() => victim.chain.tip().height >= from + 5, 30_000, 'production goes on');
    expect(victim.forks.syncing.active).toBe(false);
  });

  it('a plausible height that is never served does not pause production; the liar is disconnected', async () => {
    cluster = new TestCluster({ validators: 1, slotMs: 200 });
    const metrics = new Registry();
    const victim = await cluster.add({ validatorIndex: 0, metricsRegistry: metrics });
    await waitFor(() => victim.chain.tip().height >= 2, 20_000, 'first blocks');
    // The highest height the schedule allows: a claim no clock check can refute.
    // Produced while the sync towards the liar runs: before, production paused for any sync.
    let producedWhileSyncing = 0;
    victim.on('produced', () => {
      if (victim.forks.syncing.active) producedWhileSyncing++;
    });
    const bad = await liar(victim, cluster, () => maxPlausibleHeight(cluster!.genesis, Date.now()), 1_500);
    await waitFor(() => producedWhileSyncing >= 3, 30_000, 'blocks produced while the unproven sync runs');
    // Sync (range sync reports through the registry's table): NOT_FOUND within its claim.
    const reported = async () =>
      /tc_registry_peer_actions_total\{code="SYNC_UNSERVED",action="disconnect"\} [1-9]/.test(
        await metrics.metrics(),
      );
    for (let i = 0; i < 300 && !(await reported()); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await reported()).toBe(true);
    await waitFor(() => !victim.registry.peers().some((p) => p.id === bad.nodeId), 20_000, 'the liar gone');
  });
});
