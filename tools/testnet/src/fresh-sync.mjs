// The fresh-node sync scenario: a node that has never run joins the testnet (over the same WAN
// links, from 1–2 seeds) and syncs the whole chain. Its speed is compared with validating the
// same blocks in a validation pool alone, measured in the same run on the same loaded machine.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { statelessParams, ValidationPool } from '@tc/consensus/internal';
import { sleep } from '@tc/load/src/cluster.mjs';
import { GENESIS_FILE_NAME, readGenesisFile } from '@tc/node';
import { busyShare, machineTicks, processCpu } from './cpu-use.mjs';
import { startTestnetNode, stopTestnetNode } from './nodes.mjs';

/** Longest wait for the fresh node to reach the network's tip. */
const SYNC_TIMEOUT_MS = 600_000;

/** Every block 1..height of the canonical chain, raw, from `node` (batches of 50 getblock calls). */
async function fetchBlocks(node, height) {
  const blocks = [];
  for (let from = 1; from <= height; from += 50) {
    const heights = [];
    for (let h = from; h <= Math.min(height, from + 49); h++) heights.push([h, 0]);
    const answers = await node.rpc.batch('getblock', heights, 60_000);
    for (const a of answers) {
      if (a.error) throw new Error(`getblock: ${a.error.message}`);
      blocks.push(Buffer.from(a.result, 'hex'));
    }
  }
  return blocks;
}

/**
 * When the fresh node logged its first peer, the start of its first sync and that sync's end,
 * in seconds after `fromMs` (from its JSON log; undefined when not logged).
 */
function timeline(datadir, fromMs) {
  const first = {};
  let lines = [];
  try {
    lines = readFileSync(join(datadir, 'node.log'), 'utf8').split('\n');
  } catch {
    return first;
  }
  const marks = {
    'peer connected': 'firstPeer',
    'sync started': 'syncStarted',
    'sync finished': 'syncFinished',
  };
  for (const line of lines) {
    let entry;
    try {
      entry = JSON.parse(line);
    } catch {
      continue;
    }
    const key = marks[entry.msg];
    if (key && first[key] === undefined) first[key] = (Date.parse(entry.time) - fromMs) / 1_000;
  }
  return first;
}

/** Blocks/s of stateless validation of `blocks` in `pool`, 64 in flight (no network, no storage). */
async function poolRate(pool, blocks, params) {
  const started = performance.now();
  let next = 0;
  const lane = async () => {
    while (next < blocks.length) await pool.validateBlock(blocks[next++], params);
  };
  await Promise.all(Array.from({ length: 64 }, lane));
  return blocks.length / ((performance.now() - started) / 1_000);
}

/**
 * Starts `tn.spares[0]` (laid out and linked, never started) and waits until it holds the tip
 * the network had when it started. Sync speed = those blocks / the time from the node's start
 * (its RPC answering) to holding them: everything a fresh node pays (handshakes, finding
 * peers, download, validation, storage). Baseline: the same blocks through a ValidationPool
 * with the node's own thread count and no signature cache, before and after the sync (mean).
 */
export async function freshSync(tn, { poolThreads }) {
  const fresh = tn.spares?.[0];
  if (!fresh) throw new Error('fresh sync: the testnet was started without a spare node');
  const source = tn.nodes.find((n) => !n.down);
  const target = (await source.rpc.call('getblockchaininfo', [], 10_000)).height;
  const blocks = await fetchBlocks(source, target);
  const genesis = readGenesisFile(join(source.datadir, GENESIS_FILE_NAME));
  const params = statelessParams(genesis);
  const pool = new ValidationPool({ threads: poolThreads, maxQueue: 256, sigCacheSlots: 0 });
  try {
    await poolRate(pool, blocks.slice(0, 64), params); // warm-up (JIT, worker start)
    const baselineTicks = machineTicks();
    const before = await poolRate(pool, blocks, params);
    const baselineBusy = busyShare(baselineTicks, machineTicks());
    const startedAt = Date.now();
    await startTestnetNode(fresh);
    const readyAt = Date.now();
    const syncTicks = machineTicks();
    const cpuAtReady = processCpu(fresh.child.pid);
    let height = 0;
    while (height < target && Date.now() - readyAt < SYNC_TIMEOUT_MS) {
      await sleep(100);
      height = (await fresh.rpc.call('getblockchaininfo', [], 5_000).catch(() => ({ height }))).height;
    }
    const reachedAt = Date.now();
    const syncBusy = busyShare(syncTicks, machineTicks());
    const cpuAtTip = processCpu(fresh.child.pid);
    const arrivals = await fresh.rpc.call('getblockarrivals', [512], 10_000).catch(() => []);
    await stopTestnetNode(fresh);
    const marks = timeline(fresh.datadir, readyAt);
    const after = await poolRate(pool, blocks, params);
    const poolBlocksPerSec = (before + after) / 2;
    const seconds = (reachedAt - readyAt) / 1_000;
    const synced = arrivals.filter((a) => a.source === 'sync' && a.height <= target);
    // While blocks flowed: from the first synced block to the last (no handshakes, no peer search).
    const flowSeconds =
      synced.length > 1 ? (synced.at(-1).connectedAtMs - synced[0].connectedAtMs) / 1_000 : Number.NaN;
    const syncBlocksPerSec = target / Math.max(0.001, seconds);
    return {
      blocks: target,
      bytes: blocks.reduce((n, b) => n + b.length, 0),
      startSeconds: (readyAt - startedAt) / 1_000,
      // After its RPC answered: its first peer, the start and end of its first sync.
      firstPeerSeconds: marks.firstPeer,
      syncStartedSeconds: marks.syncStarted,
      syncFinishedSeconds: marks.syncFinished,
      syncSeconds: seconds,
      syncBlocksPerSec,
      flowBlocksPerSec: synced.length > 1 ? (synced.length - 1) / flowSeconds : Number.NaN,
      poolThreads,
      poolBlocksPerSec,
      poolRuns: [before, after],
      ratio: syncBlocksPerSec / poolBlocksPerSec,
      // Why the ratio is what it is on a loaded machine: how busy its cores were during the
      // first baseline run and during the sync, and the CPU the fresh node got meanwhile.
      cpu: {
        machineBusyBaseline: baselineBusy,
        machineBusySync: syncBusy,
        freshMainSeconds: cpuAtTip.main - cpuAtReady.main,
        freshOtherThreadsSeconds: cpuAtTip.others - cpuAtReady.others,
      },
      checks: { syncedToTip: height >= target },
    };
  } finally {
    await pool.destroy();
    await stopTestnetNode(fresh).catch(() => undefined);
  }
}
