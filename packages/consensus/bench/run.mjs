// Benchmark for @tc/consensus (not a test): `pnpm --filter @tc/consensus bench`.
// Imports ../dist, so build first (turbo's bench task depends on build).
// 1. Validation throughput of 100-transaction blocks: inline (main thread) vs a pool of 1 and 2
//    workers, as ratios to the inline baseline measured in this run.
// 2. Main-thread event-loop delay (monitorEventLoopDelay, 1 ms resolution) while a steady
//    validation load runs inline, then in the pool.
// 3. Sync speed of a fresh node from two peers over 127.0.0.1 vs pool validation (bench/sync.mjs).
import { availableParallelism } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as c from '../dist/internal.js';
import { runSyncBench } from './sync.mjs';

const TXS_PER_BLOCK = 100;
const BLOCKS = Number(process.env.BENCH_BLOCKS ?? 40);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const LOAD_SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 3);

function setup() {
  const seed = (n) => new Uint8Array(32).map((_, i) => (n * 31 + i) & 0xff);
  const validators = [c.keyPairFromSeed(seed(1)), c.keyPairFromSeed(seed(2))];
  const wallets = Array.from(
    { length: TXS_PER_BLOCK },
    (_, i) => new c.Signer(c.keyPairFromSeed(seed(10 + i))),
  );
  const allocations = [];
  for (let b = 0; b < BLOCKS; b++) {
    for (let p = 0; p < TXS_PER_BLOCK; p++)
      allocations.push({ recipient: c.toHex(wallets[p].address), value: '1000000' });
  }
  const genesis = c.resolveGenesisConfig({
    networkId: 'tc-bench',
    validators: validators.map((v) => c.toHex(v.publicKey)),
    slotMs: 1000,
    blockReward: 50,
    allocations,
    timestampMs: 1_700_000_000_000,
  });
  const chain = new c.MemoryChainState(genesis);
  const g = c.buildGenesisBlock(genesis);
  const tip = chain.getTip();
  const leader = c.leaderFor(genesis, 1, 0);
  const producer = validators.find((v) => c.bytesEqual(v.publicKey, leader));
  const nowMs = tip.timestampMs + genesis.slotMs;
  const blocks = [];
  for (let b = 0; b < BLOCKS; b++) {
    const txs = [];
    for (let p = 0; p < TXS_PER_BLOCK; p++) {
      const { tx } = c.signTransaction(genesis.networkId, {
        inputs: [{ prevTxid: g.txid, vout: b * TXS_PER_BLOCK + p, keys: wallets[p] }],
        outputs: [
          { value: 600_000n, recipient: wallets[(p + 1) % TXS_PER_BLOCK].address },
          { value: 399_990n, recipient: wallets[p].address },
        ],
      });
      txs.push({ tx, fee: 10n });
    }
    blocks.push(c.buildBlock({ parent: tip, txs, producerKey: producer, attempt: 0, nowMs, genesis }).bytes);
  }
  return { genesis, chain, blocks, nowMs };
}

/** Full validation (stateless in `validator`, stateful on this thread), `depth` blocks in flight. */
async function throughput(ctx, validator, depth) {
  let i = 0;
  let done = 0;
  const validateOne = () =>
    c.validateBlock({
      bytes: ctx.blocks[i++ % ctx.blocks.length],
      validator,
      view: ctx.chain,
      genesis: ctx.genesis,
      nowMs: ctx.nowMs,
    });
  for (let w = 0; w < Math.min(8, ctx.blocks.length); w++) await validateOne(); // warm-up
  const started = performance.now();
  const deadline = started + SECONDS * 1000;
  const lane = async () => {
    while (performance.now() < deadline) {
      await validateOne();
      done++;
    }
  };
  await Promise.all(Array.from({ length: depth }, lane));
  return done / ((performance.now() - started) / 1000);
}

/** Event-loop delay while `rate` blocks/s are validated (submitted on a timer). */
async function lagUnderLoad(ctx, validator, rate) {
  const h = monitorEventLoopDelay({ resolution: 1 });
  let i = 0;
  let validated = 0;
  const inflight = new Set();
  h.enable();
  const started = performance.now();
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      if (performance.now() - started >= LOAD_SECONDS * 1000) {
        clearInterval(timer);
        resolve();
        return;
      }
      if (inflight.size >= 16) return; // bounded
      const p = c
        .validateBlock({
          bytes: ctx.blocks[i++ % ctx.blocks.length],
          validator,
          view: ctx.chain,
          genesis: ctx.genesis,
          nowMs: ctx.nowMs,
        })
        .then(() => {
          validated++;
          inflight.delete(p);
        });
      inflight.add(p);
    }, 1000 / rate);
  });
  await Promise.all(inflight);
  h.disable();
  const ms = (ns) => ns / 1e6;
  return {
    p50: ms(h.percentile(50)),
    p99: ms(h.percentile(99)),
    max: ms(h.max),
    blocksPerSec: validated / ((performance.now() - started) / 1000),
  };
}

const fmt = (n, d = 1) => n.toFixed(d);

async function main() {
  console.log(`@tc/consensus bench — Node ${process.version}, ${availableParallelism()} cores`);
  console.log(
    `setup: ${BLOCKS} distinct blocks of ${TXS_PER_BLOCK} signed txs (+ coinbase), ${SECONDS}s per run`,
  );
  console.log('note: the VM is shared; compare the ratios, which are measured in this run');
  const t0 = performance.now();
  const ctx = setup();
  console.log(
    `setup took ${fmt((performance.now() - t0) / 1000, 2)} s, block ~${ctx.blocks[0].length} bytes\n`,
  );

  // The rounds validate the same blocks again: without the signature cache, so every round
  // measures verification (with it, the pool would only look its own answers up).
  const inline = new c.InlineValidator();
  const pool1 = new c.ValidationPool({ threads: 1, sigCacheSlots: 0 });
  const pool2 = new c.ValidationPool({ threads: 2, sigCacheSlots: 0 });
  try {
    console.log(
      `1. validation throughput (full validateBlock, 100-tx blocks; median of ${ROUNDS} interleaved rounds)`,
    );
    const runs = { base: [], p1: [], p2: [] };
    for (let r = 0; r < ROUNDS; r++) {
      runs.base.push(await throughput(ctx, inline, 1));
      runs.p1.push(await throughput(ctx, pool1, 2));
      runs.p2.push(await throughput(ctx, pool2, 4));
    }
    const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const base = median(runs.base);
    const p1 = median(runs.p1);
    const p2 = median(runs.p2);
    // Ratios per round (same-moment comparison), then their median.
    const r1 = median(runs.p1.map((v, i) => v / runs.base[i]));
    const r2 = median(runs.p2.map((v, i) => v / runs.base[i]));
    const sigs = (bps) => fmt((bps * TXS_PER_BLOCK) / 1000, 1);
    console.log(
      `   main thread   ${fmt(base).padStart(7)} blocks/s  (${sigs(base)}k sig/s)  1.00x  [baseline]`,
    );
    console.log(`   pool 1 worker ${fmt(p1).padStart(7)} blocks/s  (${sigs(p1)}k sig/s)  ${fmt(r1, 2)}x`);
    console.log(`   pool 2 workers${fmt(p2).padStart(8)} blocks/s  (${sigs(p2)}k sig/s)  ${fmt(r2, 2)}x`);
    console.log(
      `   (per-round blocks/s: main ${runs.base.map((v) => fmt(v, 0)).join('/')}, pool1 ${runs.p1.map((v) => fmt(v, 0)).join('/')}, pool2 ${runs.p2.map((v) => fmt(v, 0)).join('/')})`,
    );

    const rate = Math.max(5, Math.round(base * 0.5));
    console.log(
      `\n2. main-thread event-loop delay under a steady load of ${rate} blocks/s (~50% of one core inline)`,
    );
    const lagInline = await lagUnderLoad(ctx, inline, rate);
    const lagPool = await lagUnderLoad(ctx, pool2, rate);
    const row = (name, l) =>
      `   ${name.padEnd(14)} p50 ${fmt(l.p50, 2).padStart(6)} ms  p99 ${fmt(l.p99, 2).padStart(6)} ms  max ${fmt(l.max, 2).padStart(6)} ms  (${fmt(l.blocksPerSec)} blocks/s done)`;
    console.log(row('inline', lagInline));
    console.log(row('pool (2)', lagPool));
    console.log(
      `   ratio inline/pool: p99 ${fmt(lagInline.p99 / lagPool.p99, 2)}x, max ${fmt(lagInline.max / lagPool.max, 2)}x`,
    );
    const s = pool2.stats();
    console.log(
      `   pool stats: completed ${s.completed}, utilization ${fmt(s.utilization, 2)}, wait p99 ${fmt(s.waitTimeMs.p99, 2)} ms, run p50 ${fmt(s.runTimeMs.p50, 2)} ms`,
    );
  } finally {
    await Promise.all([pool1.destroy(), pool2.destroy()]);
  }
  await runSyncBench('3'); // bench/sync.mjs
}

await main();
