import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BlockchainInfo, PeerInfo } from '@tc/node';
import { checkTransactions, type TipAgreement, type TxCheck, waitTipsAgree } from './checks.js';
import { Cluster, type ClusterRunOptions } from './cluster.js';
import type { ExitRecord } from './node-process.js';
import { describeEvent, type FaultEvent, lastHealMs, makeSchedule } from './schedule.js';
import { TxLoad } from './tx-load.js';
import { Rng, sleep } from './util.js';
import { type UtxoDigest, utxoDigests } from './utxo-digest.js';

export interface ChaosOptions extends ClusterRunOptions {
  readonly nodes: number;
  readonly seed: number;
  /** Length of the fault window. */
  readonly faultsMs: number;
  readonly slotMs: number;
  /** Transfers per second. */
  readonly txRate: number;
  /** Tips must agree within this long after the last heal. */
  readonly agreeBoundMs: number;
  readonly corrupt?: boolean;
  readonly killEveryMs?: readonly [number, number];
}

export interface ChaosCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface ChaosReport {
  readonly options: Omit<ChaosOptions, 'log' | 'onCluster'>;
  readonly dir: string;
  readonly schedule: readonly FaultEvent[];
  readonly durationMs: number;
  readonly kills: number;
  readonly accepted: number;
  readonly rejected: Record<string, number>;
  readonly agreement: TipAgreement;
  readonly txs: TxCheck;
  /** Orphaned and dropped: an input now spent by another transaction (a lost double spend) or still unspent. */
  readonly dropped: { readonly conflicted: number; readonly unspentInputs: number };
  /** Bytes delivered across the cut while it lasted (must be 0), and whether the two sides' tips differed at the heal. */
  readonly partition: { readonly bytesAcross: number; readonly diverged: boolean };
  readonly decoyHits: number;
  /** Bytes the corrupt link flipped (0 without `corrupt`). */
  readonly flippedBytes: number;
  readonly digests: readonly UtxoDigest[];
  readonly exits: readonly ExitRecord[];
  readonly checks: readonly ChaosCheck[];
  readonly ok: boolean;
}

/**
 * Checks that every session of every node runs through that node's own proxies: an outbound
 * session's address is one of node i's proxies (i→j), an inbound one is the peer's advertised
 * address (127.0.0.1:<its listen port>, held by a decoy). Returns the offenders ('' when none).
 */
async function sessionsBypassingProxies(c: Cluster): Promise<string> {
  const decoys = new Set(c.decoys.map((d) => `127.0.0.1:${d.port}`));
  const bad: string[] = [];
  let sessions = 0;
  for (const n of c.nodes) {
    const own = new Set<string>();
    for (const m of c.nodes) if (m !== n) own.add(`127.0.0.1:${c.link(n.index, m.index).port}`);
    const peers = await n.rpc.call<PeerInfo[]>('getpeerinfo');
    sessions += peers.length;
    for (const p of peers) {
      const ok = p.direction === 'outbound' ? own.has(p.address) : decoys.has(p.address);
      if (!ok) bad.push(`node ${n.index} ${p.direction} ${p.address}`);
    }
  }
  return bad.length > 0 ? bad.join(', ') : sessions === 0 ? 'no sessions' : '';
}

/**
 * The bounded chaos run: a devnet behind proxies carrying a transaction load, the seeded fault
 * schedule, then the end checks (see README).
 */
export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const log = o.log ?? (() => undefined);
  const dir = mkdtempSync(join(o.dir ?? tmpdir(), 'tc-chaos-'));
  const schedule = makeSchedule({
    seed: o.seed,
    nodes: o.nodes,
    faultsMs: o.faultsMs,
    ...(o.corrupt ? { corrupt: true } : {}),
    ...(o.killEveryMs ? { killEveryMs: o.killEveryMs } : {}),
  });
  log(
    `chaos: ${o.nodes} nodes, seed ${o.seed}, faults ${o.faultsMs / 1000}s, slot ${o.slotMs}ms, ${o.txRate} tx/s, dir ${dir}`,
  );
  for (const e of schedule) log(`  schedule ${describeEvent(e)}`);
  const cluster = await Cluster.create({ dir, nodes: o.nodes, slotMs: o.slotMs, seed: o.seed });
  o.onCluster?.(cluster);
  const t0 = Date.now();
  const restarts: Promise<void>[] = [];
  const load = new TxLoad(cluster, o.txRate, new Rng(o.seed ^ 0x5eed));
  const partition = { bytesAcross: -1, diverged: false };
  let throughProxies = '';
  let keep = o.keepDir === true;
  try {
    await cluster.startAll();
    const warm = await waitTipsAgree(cluster, 30_000);
    if (!warm.agreed) throw new Error('the devnet did not agree on a tip within 30 s of start');
    throughProxies = await sessionsBypassingProxies(cluster);
    const recheck = async () => {
      // After restarts and heals too: sessions still run through each node's own proxies.
      const again = await sessionsBypassingProxies(cluster).catch(() => '');
      if (again && again !== 'no sessions') throughProxies ||= again;
    };
    log(`warm: tips agree at height ${warm.height}; sessions ${throughProxies || 'all through proxies'}`);
    load.start();
    const start = Date.now();
    const at = (ms: number) => sleep(Math.max(0, start + ms - Date.now()));
    const actions: { atMs: number; run: () => Promise<void> }[] = [];
    for (const e of schedule) {
      if (e.kind === 'kill') {
        const n = cluster.nodes[e.node] as Cluster['nodes'][number];
        actions.push({
          atMs: e.atMs,
          run: async () => {
            if (!n.proc.running) return;
            await n.proc.kill9();
            log(`t+${((Date.now() - start) / 1000).toFixed(1)}s killed node ${e.node}`);
          },
        });
        actions.push({
          atMs: e.atMs + e.downMs,
          run: async () => {
            if (n.proc.running) return;
            n.proc.spawn();
            restarts.push(cluster.waitRpc(e.node, 30_000));
          },
        });
      } else if (e.kind === 'partition') {
        const [a, b] = e.groups;
        const cross = a.flatMap((i) => b.flatMap((j) => cluster.pair(i, j)));
        const delivered = () =>
          cross.reduce((sum, p) => sum + p.stats().bytes.forward + p.stats().bytes.backward, 0);
        let atCut = 0;
        actions.push({
          atMs: e.atMs,
          run: async () => {
            for (const p of cross) p.cut();
            atCut = delivered();
          },
        });
        actions.push({
          atMs: e.atMs + e.durationMs,
          run: async () => {
            // Was the partition real? No byte crossed it, and the two sides' tips differ.
            partition.bytesAcross = delivered() - atCut;
            const infoOf = (i: number) =>
              cluster.nodes[i]?.rpc.call<BlockchainInfo>('getblockchaininfo').catch(() => undefined);
            const infosA = await Promise.all(a.map(infoOf));
            const infosB = await Promise.all(b.map(infoOf));
            const tipsB = new Set(infosB.map((x) => x?.bestBlockHash));
            partition.diverged = !infosA.some((x) => x !== undefined && tipsB.has(x.bestBlockHash));
            const show = (xs: (BlockchainInfo | undefined)[]) =>
              xs.map((x) => (x ? `${x.height}:${x.bestBlockHash.slice(0, 8)}` : 'down')).join(' ');
            log(`  at heal: side A ${show(infosA)} | side B ${show(infosB)}`);
            await recheck();
            for (const p of cross) p.restore();
            log(
              `t+${((Date.now() - start) / 1000).toFixed(1)}s healed the partition (${partition.bytesAcross} bytes crossed it; sides ${partition.diverged ? 'diverged' : 'did not diverge'})`,
            );
          },
        });
      } else {
        const links = cluster.pair(e.pair[0], e.pair[1]);
        actions.push({
          atMs: e.atMs,
          run: async () => {
            for (const p of links) p.setFaults(e.faults);
          },
        });
        actions.push({
          atMs: e.atMs + e.durationMs,
          run: async () => {
            for (const p of links) p.clearFaults();
          },
        });
      }
    }
    actions.sort((x, y) => x.atMs - y.atMs);
    for (const a of actions) {
      await at(a.atMs);
      await a.run();
    }
    cluster.healAll();
    await Promise.all(restarts);
    await load.stop();
    await load.track();
    log(
      `t+${((Date.now() - start) / 1000).toFixed(1)}s last heal (schedule: ${lastHealMs(schedule) / 1000}s); waiting ≤ ${o.agreeBoundMs / 1000}s for tips to agree`,
    );
    const agreement = await waitTipsAgree(cluster, o.agreeBoundMs);
    log(
      `tips ${agreement.agreed ? `agree after ${agreement.afterMs} ms at height ${agreement.height}` : `disagree: heights ${agreement.heights.join(',')}`}`,
    );
    await recheck();
    for (let k = 0; k < 3; k++) await load.track();
    const txs = await checkTransactions(cluster, [...load.txs.values()]);
    // A clean stop right after a poll in which the tips agree (production stops first in shutdown).
    await waitTipsAgree(cluster, 10_000);
    await cluster.stopAll();
    const droppedIds = new Set(txs.orphaned.filter((x) => x.now === 'dropped').map((x) => x.txid));
    const dropped = { conflicted: 0, unspentInputs: 0 };
    const digests = await utxoDigests({
      genesisFile: cluster.genesisFile,
      datadirs: cluster.nodes.map((n) => n.datadir),
      maxRollback: 3,
      inspect: (store) => {
        for (const id of droppedIds) {
          const inputs = load.txs.get(id)?.inputs ?? [];
          const spent = inputs.some((s) => {
            const [txid, vout] = s.split(':');
            return !store.getUtxo({ txid: Buffer.from(txid ?? '', 'hex'), vout: Number(vout) });
          });
          if (spent) dropped.conflicted++;
          else dropped.unspentInputs++;
        }
      },
    });
    const exits = cluster.nodes.flatMap((n) => n.proc.exits);
    return finish();

    function finish(): ChaosReport {
      const kills = exits.filter((x) => x.expected === 'kill').length;
      const crashes = exits.filter((x) => x.expected === undefined);
      const unclean = exits.filter((x) => x.expected === 'stop' && x.code !== 0);
      const digestSet = new Set(digests.map((d) => d.digest));
      const checks: ChaosCheck[] = [
        {
          name: 'tips agree after the last heal',
          ok: agreement.agreed,
          detail: agreement.agreed
            ? `after ${(agreement.afterMs / 1000).toFixed(1)}s (bound ${o.agreeBoundMs / 1000}s) at height ${agreement.height} ${agreement.hash.slice(0, 16)}`
            : `not within ${o.agreeBoundMs / 1000}s: heights ${agreement.heights.join(',')}`,
        },
        {
          name: 'final-chain transactions on every node',
          ok:
            txs.missingOnSomeNode.length === 0 && txs.lostFromFinalChain.length === 0 && txs.inFinalChain > 0,
          detail: `${txs.inFinalChain} of ${txs.submitted} submitted in the final chain; missing on some node ${txs.missingOnSomeNode.length}; lost from it ${txs.lostFromFinalChain.length}`,
        },
        {
          name: 'UTXO sets identical',
          ok: digestSet.size === 1 && digests.length === o.nodes,
          detail: `${[...digestSet].map((d) => d.slice(0, 16)).join(' ')} (${digests[0]?.utxos ?? 0} utxos at height ${digests[0]?.height ?? -1}; rolled back ${digests.map((d) => d.rolledBack).join(',')})`,
        },
        {
          name: 'no crash (only killed nodes exited)',
          ok: crashes.length === 0 && unclean.length === 0,
          detail: `${kills} kill -9, ${crashes.length} unexpected exits, final stops ${exits
            .filter((x) => x.expected === 'stop')
            .map((x) => x.code ?? x.signal)
            .join(',')}`,
        },
        {
          name: 'links are real (all sessions through proxies; nothing crossed the partition)',
          ok: throughProxies === '' && partition.bytesAcross === 0 && partition.diverged,
          detail: `${throughProxies || 'every session through a proxy'}; ${partition.bytesAcross} bytes crossed the partition, sides ${partition.diverged ? 'diverged' : 'did not diverge'}; discovery dials caught by decoys ${cluster.decoys.reduce((s, d) => s + d.hits, 0)}`,
        },
      ];
      if (!checks.every((c) => c.ok)) keep = true;
      return {
        options: { ...o, log: undefined, onCluster: undefined } as ChaosReport['options'],
        dir,
        schedule,
        durationMs: Date.now() - t0,
        kills,
        accepted: load.accepted,
        rejected: Object.fromEntries(load.rejected),
        agreement,
        txs,
        dropped,
        partition,
        flippedBytes: [...cluster.links.values()].reduce((sum, p) => sum + p.stats().flippedBytes, 0),
        decoyHits: cluster.decoys.reduce((s, d) => s + d.hits, 0),
        digests,
        exits,
        checks,
        ok: checks.every((c) => c.ok),
      };
    }
  } catch (error) {
    keep = true;
    throw error;
  } finally {
    await load.stop();
    await cluster.close();
    if (!keep) rmSync(dir, { recursive: true, force: true });
    else log(`kept ${dir} (node logs in node-<i>/node.log)`);
  }
}
