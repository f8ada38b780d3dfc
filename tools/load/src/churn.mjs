// A peer that connects to every node and leaves again, `perSecond` times a second.

import { join } from 'node:path';
import { genesisHash } from '@tc/consensus';
import { GENESIS_FILE_NAME, readGenesisFile } from '@tc/node';
import { NodeIdentity, PeerConnectionRegistry } from '@tc/registry';
import { allBans, sleep, tips } from './cluster.mjs';
import { metricSum } from './rpc.mjs';

/**
 * Churns against the cluster for `seconds` (bounded count and time), then waits `settleSlots`
 * slots and reports penalties, bans and whether the tips agree.
 */
export async function churnRun({
  cluster,
  seconds,
  perSecond = 4,
  settleSlots = 3,
  slotMs,
  log = (_line) => {},
}) {
  const { nodes } = cluster;
  const genesis = readGenesisFile(join(nodes[0].datadir, GENESIS_FILE_NAME));
  const before = await Promise.all(nodes.map((n) => n.rpc.metrics()));
  const churner = new PeerConnectionRegistry({
    identity: NodeIdentity.generate(),
    networkId: genesis.networkId,
    genesisHash: genesisHash(genesis),
    listen: false,
    discovery: false,
  });
  await churner.start();
  const cycles = Math.ceil(seconds * perSecond);
  const half = 500 / perSecond;
  const started = Date.now();
  let sessions = 0;
  try {
    for (let i = 0; i < cycles && Date.now() - started < (seconds + 30) * 1000; i++) {
      const infos = await Promise.allSettled(nodes.map((n) => churner.dial(n.p2p)));
      sessions += infos.filter((x) => x.status === 'fulfilled').length;
      await sleep(half);
      for (const info of infos) if (info.status === 'fulfilled') churner.disconnect(info.value.id);
      await sleep(half);
      if (i % (perSecond * 10) === 0)
        log(`churn ${Math.round((Date.now() - started) / 1000)} s, ${sessions} sessions`);
    }
  } finally {
    await churner.stop();
  }
  await sleep(settleSlots * slotMs);
  // "Within 3 slots": the tips agree now, or do within one more slot (a block in flight).
  let t = await tips(nodes);
  let agree = t.every((x) => x && x.hash === t[0]?.hash);
  if (!agree) {
    await sleep(slotMs);
    t = await tips(nodes);
    agree = t.every((x) => x && x.hash === t[0]?.hash);
  }
  const after = await Promise.all(nodes.map((n) => n.rpc.metrics()));
  const delta = (name, labels) =>
    after.reduce((s, text, i) => s + metricSum(text, name, labels) - metricSum(before[i], name, labels), 0);
  return {
    sessions,
    seconds: (Date.now() - started) / 1000,
    tipsAgree: agree,
    heights: t.map((x) => x?.height),
    bans: await allBans(nodes),
    scored: delta('tc_registry_peer_actions_total', 'action="score"'),
    disconnectsForMisbehaviour: delta('tc_registry_peer_actions_total', 'action="disconnect"'),
    banActions: delta('tc_registry_peer_actions_total', 'action="ban"'),
    getPeersServed: delta('tc_registry_messages_total', 'direction="in",kind="getPeers"'),
  };
}
