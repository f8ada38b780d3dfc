// Sync benchmark (not a test): a fresh node (ChainManager on a new LMDB store, a ValidationPool)
// syncs BENCH_SYNC_BLOCKS (default 5,000) blocks from two peers over 127.0.0.1 with RangeSync.
// Baseline, measured in the same run with the same pool: validating the same blocks in the pool
// directly (no network, no storage). Run by bench/run.mjs, or alone: `node bench/sync.mjs`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { NodeIdentity, PeerConnectionRegistry } from '@tc/registry';
import { openChainStore } from '@tc/storage';
import { Registry } from 'prom-client';
import * as c from '../dist/internal.js';

const BLOCKS = Number(process.env.BENCH_SYNC_BLOCKS ?? 5_000);
const TX_EVERY = Number(process.env.BENCH_SYNC_TX_EVERY ?? 10);
const fmt = (n, d = 1) => n.toFixed(d);

/** BLOCKS valid blocks on a genesis far enough in the past; every TX_EVERY-th carries a transfer. */
function buildChain() {
  const seed = (n) => new Uint8Array(32).map((_, i) => (n * 17 + i) & 0xff);
  const validators = [1, 2, 3].map((n) => new c.Signer(c.keyPairFromSeed(seed(n))));
  const wallets = Array.from({ length: 8 }, (_, i) => new c.Signer(c.keyPairFromSeed(seed(100 + i))));
  const slotMs = 1_000;
  const genesis = c.resolveGenesisConfig({
    networkId: 'tc-bench-sync',
    validators: validators.map((v) => c.toHex(v.publicKey)),
    slotMs,
    blockReward: 50,
    allocations: wallets.map((w) => ({ recipient: c.toHex(w.address), value: '1000000' })),
    timestampMs: Date.now() - (BLOCKS + 60) * slotMs,
  });
  const g = c.buildGenesisBlock(genesis);
  const owned = wallets.map((_, i) => ({ txid: g.txid, vout: i, value: 1_000_000n }));
  let parent = { height: 0, hash: g.hash, timestampMs: genesis.timestampMs };
  const blocks = [];
  for (let h = 1; h <= BLOCKS; h++) {
    const txs = [];
    let w = -1;
    if (TX_EVERY > 0 && h % TX_EVERY === 0) {
      w = (h / TX_EVERY) % wallets.length;
      const from = owned[w];
      const { tx } = c.signTransaction(genesis.networkId, {
        nonce: BigInt(h),
        inputs: [{ prevTxid: from.txid, vout: from.vout, keys: wallets[w] }],
        outputs: [{ value: from.value - 10n, recipient: wallets[w].address }],
      });
      txs.push({ tx, fee: 10n });
    }
    const leader = c.leaderFor(genesis, h, 0);
    const producer = validators.find((v) => c.bytesEqual(v.publicKey, leader));
    const built = c.buildBlock({
      parent,
      txs,
      producerKey: producer,
      attempt: 0,
      nowMs: parent.timestampMs + slotMs,
      genesis,
    });
    if (w >= 0) owned[w] = { txid: built.txids[1], vout: 0, value: owned[w].value - 10n };
    blocks.push(built.bytes);
    parent = { height: h, hash: built.hash, timestampMs: built.block.header.timestampMs };
  }
  return { genesis, blocks, tip: parent };
}

/** Baseline: every block through the pool's stateless validation, up to 64 in flight. */
async function poolBaseline(pool, chain) {
  const params = c.statelessParams(chain.genesis);
  const started = performance.now();
  let next = 0;
  const lane = async () => {
    while (next < chain.blocks.length) await pool.validateBlock(chain.blocks[next++], params);
  };
  await Promise.all(Array.from({ length: 64 }, lane));
  return chain.blocks.length / ((performance.now() - started) / 1000);
}

async function startRegistry(genesis, extra = {}) {
  const registry = new PeerConnectionRegistry({
    identity: NodeIdentity.generate(),
    networkId: genesis.networkId,
    genesisHash: c.genesisHash(genesis),
    listen: { host: '127.0.0.1', port: 0 },
    exemptLoopback: true,
    discovery: false,
    errorActions: c.CONSENSUS_ERROR_ACTIONS,
    ...extra,
  });
  await registry.start();
  return registry;
}

/**
 * Two serving peers (blocks in memory) and a fresh node; returns blocks/s of the sync.
 * `quota`: the servers' getBlockRange quota (the syncer paces at 90 % of it), undefined for the
 * registry's floor, or false for none.
 */
async function syncRun(pool, chain, { quota }) {
  const serverExtra =
    quota === false
      ? { rateQuotas: { getBlockRange: { ratePerSec: 1e6, burst: 1e6 } } }
      : quota
        ? { rateQuotas: { getBlockRange: quota } }
        : {};
  const pace = quota === false ? { peerQuota: false } : quota ? { peerQuota: c.syncPace(quota) } : {};
  const servers = [];
  const dir = mkdtempSync(join(tmpdir(), 'tc-bench-sync-'));
  const registries = [];
  let store;
  try {
    for (let i = 0; i < 2; i++) {
      const r = await startRegistry(chain.genesis, {
        ...serverExtra,
        getLocalTip: () => ({ height: chain.tip.height, hash: chain.tip.hash }),
      });
      r.handle(
        'getBlockRange',
        c.blockRangeHandler({ getBlocks: (s, n) => chain.blocks.slice(s - 1, s - 1 + n) }),
      );
      servers.push(r);
      registries.push(r);
    }
    store = await openChainStore({
      path: dir,
      networkId: chain.genesis.networkId,
      genesisHash: c.genesisHash(chain.genesis),
    });
    const manager = new c.ChainManager({
      store,
      genesis: chain.genesis,
      validator: pool,
      mempool: new c.Mempool(),
    });
    const node = await startRegistry(chain.genesis, { getLocalTip: () => manager.tip() });
    registries.push(node);
    for (const s of servers) await node.dial(`127.0.0.1:${s.address().port}`);
    const metrics = new Registry();
    const sync = new c.RangeSync({
      registry: node,
      target: manager,
      metricsRegistry: metrics,
      ...pace,
    });
    const lag = monitorEventLoopDelay({ resolution: 1 });
    lag.enable();
    const outcome = await sync.syncTo(
      servers.map((s) => ({ peerId: s.nodeId, height: chain.tip.height, hash: chain.tip.hash })),
    );
    if (outcome.toHeight !== chain.tip.height || !c.bytesEqual(manager.tip().hash, chain.tip.hash)) {
      throw new Error(`sync ended at ${outcome.toHeight}, expected ${chain.tip.height}`);
    }
    lag.disable();
    const json = await metrics.getMetricsAsJSON();
    const sum = (name) =>
      json.find((m) => m.name === name)?.values.find((v) => v.metricName === `${name}_sum`)?.value ?? 0;
    await manager.stop();
    return {
      blocksPerSec: outcome.imported / (outcome.durationMs / 1000),
      outcome,
      importSeconds: sum('tc_consensus_sync_import_seconds'),
      downloadSeconds: sum('tc_consensus_sync_download_seconds'),
      lagP99Ms: lag.percentile(99) / 1e6,
      lagMaxMs: lag.max / 1e6,
    };
  } finally {
    await Promise.all(registries.map((r) => r.stop()));
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runSyncBench(section = '3') {
  console.log(
    `\n${section}. sync speed: a fresh node (ChainManager + LMDB store) syncs from two peers over 127.0.0.1`,
  );
  const t0 = performance.now();
  const chain = buildChain();
  console.log(
    `   setup: ${BLOCKS} blocks (coinbase + a transfer every ${TX_EVERY}th), built in ${fmt((performance.now() - t0) / 1000, 2)} s`,
  );
  // The node's own pool size (cpus − 1: the main thread keeps a core for sockets and import).
  // No signature cache: the baseline and the syncs validate the same blocks, each must verify them.
  const pool = new c.ValidationPool({
    threads: c.defaultPoolThreads(),
    maxQueue: c.DEFAULT_POOL_MAX_QUEUE,
    sigCacheSlots: 0,
  });
  const chainQuota = c.blockServeQuota(chain.genesis);
  try {
    await poolBaseline(pool, chain); // warm-up (JIT, worker start)
    const base = await poolBaseline(pool, chain);
    const floor = await syncRun(pool, chain, { quota: undefined });
    const sized = await syncRun(pool, chain, { quota: chainQuota });
    const open = await syncRun(pool, chain, { quota: false });
    const base2 = await poolBaseline(pool, chain);
    const baseline = (base + base2) / 2;
    const row = (name, bps, extra = '') =>
      `   ${name.padEnd(58)} ${fmt(bps).padStart(8)} blocks/s  ${fmt(bps / baseline, 3)}x${extra}`;
    console.log(
      row(
        `pool validation only (${pool.threads} worker${pool.threads === 1 ? '' : 's'}, the node's default)  [baseline]`,
        baseline,
        `  (runs ${fmt(base, 0)}/${fmt(base2, 0)})`,
      ),
    );
    for (const [name, r] of [
      ['sync, registry floor quota (200 blocks/s/peer)', floor],
      [`sync, chain-sized quota (${chainQuota.ratePerSec} blocks/s/peer)`, sized],
      ['sync, quotas lifted (pipeline limit)', open],
    ]) {
      const o = r.outcome;
      console.log(
        row(
          name,
          r.blocksPerSec,
          `  (${fmt(o.durationMs / 1000, 1)} s, ${o.batches} batches, ${o.retries} retries; import busy ${fmt((100 * r.importSeconds) / (o.durationMs / 1000), 0)}%; loop delay p99 ${fmt(r.lagP99Ms)} ms, max ${fmt(r.lagMaxMs)} ms)`,
        ),
      );
    }
    console.log(
      '   import = ChainManager.importBlocks: pool validation + stateful checks + one fsynced LMDB commit per import run (≤ 256 blocks, off the event loop)',
    );
    console.log('   loop delay: of this process, which also runs both serving peers');
  } finally {
    await pool.destroy();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runSyncBench();
