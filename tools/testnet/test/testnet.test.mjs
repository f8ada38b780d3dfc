// The short testnet (8 nodes, about 60 s of scenarios) on real network namespaces: skipped, with
// the reason, where this machine cannot create them. The long run is `pnpm testnet`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeHosts } from '../src/hosts.mjs';
import { churn, eclipse, partition, steady, sync } from '../src/scenarios.mjs';
import { startTestnet } from '../src/testnet.mjs';

const probe = probeHosts();
if (!probe.ok) console.log(`testnet tests skipped: ${probe.reason}`);

describe.skipIf(!probe.ok)(
  'testnet: 8 nodes on their own hosts, internet WAN profile, discovery from 1–2 seeds',
  () => {
    let tn;
    beforeAll(async () => {
      tn = await startTestnet({
        count: 8,
        validators: 4,
        slotMs: 1_000,
        profile: 'internet',
        tag: 't',
        extraHosts: 1,
        spares: 1,
        utxos: 1_200,
      });
    }, 300_000);
    afterAll(async () => {
      await tn?.stop();
    }, 60_000);

    it('finds its peers by discovery, relays every block to every node with nothing lost, and a fresh node syncs', async () => {
      expect(tn.discovery.perNodeMs.every((ms) => Number.isFinite(ms))).toBe(true);
      const s = await steady(tn, { rate: 30, seconds: 15 });
      expect(s.checks.lost).toBe(true);
      expect(s.tipsAgree).toBe(true);
      expect(s.propagation[1].blocks).toBeGreaterThan(0); // blocks seen on all 8 nodes
      expect(Math.min(...s.peers)).toBeGreaterThanOrEqual(2);
      expect(s.perNode.every((n) => n.bans === 0)).toBe(true);
      // A node that never ran joins from its seeds and syncs the chain the others built.
      const f = await sync(tn, { poolThreads: 1 });
      expect(f.checks).toEqual({ syncedToTip: true });
      expect(f.blocks).toBeGreaterThan(0);
      expect(f.syncBlocksPerSec).toBeGreaterThan(0);
      expect(f.poolBlocksPerSec).toBeGreaterThan(0);
      expect(f.cpu.freshMainSeconds + f.cpu.freshOtherThreadsSeconds).toBeGreaterThan(0);
      expect(f.cpu.machineBusySync).toBeGreaterThan(0);
      expect(f.tipsAgree).toBe(true);
    }, 360_000);

    it('keeps finalizing through churn, heals a partition without reverting anything final, and survives an eclipse attempt', async () => {
      const c = await churn(tn, { rate: 15, seconds: 15 });
      expect(c.checks).toEqual({ lost: true, finalityContinued: true });
      expect(c.tipsAgree).toBe(true);
      const p = await partition(tn, { seconds: 8 });
      expect(p.checks).toEqual({ healed: true, noFinalReverted: true });
      const e = await eclipse(tn, { identities: 32, seconds: 10 });
      expect(e.checks).toEqual({ keptHonestPeers: true, noHonestBan: true });
      expect(e.tipsAgree).toBe(true);
    }, 300_000);
  },
);
