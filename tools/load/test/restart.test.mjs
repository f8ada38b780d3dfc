// A short kill -9 and restart loop of one validator under load (real processes on 127.0.0.1).
// The long variant (30 kills) is `pnpm --filter @tc/load restarts`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultDir, startLoadCluster, stopCluster } from '../src/load.mjs';
import { restartLoop } from '../src/restarts.mjs';

describe('kill -9 and restart of one validator under load', () => {
  let cluster;
  beforeAll(async () => {
    cluster = await startLoadCluster({
      count: 4,
      slotMs: 500,
      utxos: 1_200,
      dir: defaultDir('restart-test'),
    });
  }, 180_000);
  afterAll(async () => {
    if (cluster) await stopCluster(cluster);
  });

  it('bans no honest node, forks no deeper than 3 blocks, ends on one tip with nothing lost, and reverts nothing final', async () => {
    const r = await restartLoop({ cluster, kills: 3, rate: 40, victim: 3 });
    expect(r.kills).toBe(3);
    expect(r.bans).toEqual([]);
    expect(r.maxReorgDepth).toBeLessThanOrEqual(3);
    expect(r.tipsAgree).toBe(true);
    expect(r.accepted).toBeGreaterThan(0);
    expect(r.lost).toBe(0);
    // Finality across kill -9: the victim never signs a conflicting vote (no evidence anywhere),
    // keeps its finalized block through each kill, and no finalized block leaves the chain.
    expect(r.evidence).toBe(0);
    expect(r.finalityRegressions).toBe(0);
    expect(r.finalsReverted).toBe(0);
    expect(Math.min(...r.finalized)).toBeGreaterThan(0);
  });
});
