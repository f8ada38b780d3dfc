// The load run: a cluster, a funded wallet, stepped rates, and a 1-node baseline.

import { createPublicKey, verify } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, signMessage, verifySignature } from '@tc/consensus';
import { addressOfPublicKey } from '@tc/node';
import { layoutCluster, sleep, startNode, stopNode, waitForMesh } from './cluster.mjs';
import { drain, runStep } from './step.mjs';
import { Wallet } from './wallet.mjs';

/**
 * Ed25519 verifications per second on this thread, measured for `ms` with the verifier the
 * nodes use (`@tc/consensus` verifySignature: libsodium).
 */
export function measureVerifyRate(ms = 1_000) {
  return rateOf(ms, (publicKey, msg, sig) => verifySignature(publicKey, msg, sig));
}

/** The same with node:crypto (OpenSSL), the verifier the physical limit assumed. */
export function measureOpensslVerifyRate(ms = 1_000) {
  const cache = new Map();
  return rateOf(ms, (publicKey, msg, sig) => {
    let key = cache.get(publicKey);
    if (!key) {
      key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
      cache.set(publicKey, key);
    }
    return verify(null, msg, key, sig);
  });
}

const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

function rateOf(ms, check) {
  const keys = generateKeyPair();
  const msg = new Uint8Array(80).fill(7);
  const sig = signMessage(keys, msg);
  let n = 0;
  const end = performance.now() + ms;
  while (performance.now() < end) {
    for (let i = 0; i < 100; i++) {
      if (!check(keys.publicKey, msg, sig)) throw new Error('verify rate: signature refused');
    }
    n += 100;
  }
  return n / (ms / 1000);
}

/**
 * A step passes when the agreed chain included ≥ 90 % of the offered rate (included tx/s over
 * the submission window, which the nodes' back-pressure stretches), nothing accepted was lost,
 * and the tips agree.
 */
export function stepPasses(s) {
  return (
    s.includedPerSec >= 0.9 * s.rate &&
    s.included >= 0.9 * s.offered &&
    s.lost === 0 &&
    s.tipsAgree &&
    s.drained
  );
}

/** Starts a cluster of `count` validators and funds a wallet with about `utxos` outputs. */
export async function startLoadCluster({ count, slotMs, utxos, dir, log = (_line) => {} }) {
  const nodes = await layoutCluster({ dir, count, slotMs });
  try {
    return await fund(nodes, count, utxos, log);
  } catch (error) {
    await Promise.all(nodes.map((n) => stopNode(n, { hard: true })));
    throw error;
  }
}

async function fund(nodes, count, utxos, log) {
  await Promise.all(nodes.map((n) => startNode(n)));
  if (count > 1) await waitForMesh(nodes, count - 1);
  const wallet = await fundWallet(nodes, utxos, log);
  return { nodes, wallet };
}

/**
 * A wallet of about `utxos` outputs over 512 keys, fanned out from the genesis outputs of
 * `owners` (running validator nodes, each with its `key`), submitted through each owner and
 * waited for until every owner's mempool is empty and their tips agree.
 */
export async function fundWallet(owners, utxos, log = (_line) => {}) {
  const nodes = owners;
  const wallet = new Wallet(nodes[0].networkId);
  // Genesis outputs only: a block reward of the first slots can still be reorged away (at
  // 250 ms slots it was, and its spend came back MISSING_INPUT).
  const perOwner = await Promise.all(
    nodes.map(async (n) =>
      (await n.rpc.call('listunspent', [addressOfPublicKey(n.key.publicKey), 1_000], 10_000)).filter(
        (u) => u.height === 0,
      ),
    ),
  );
  const outputs = perOwner.reduce((s, u) => s + u.length, 0);
  const perTx = Math.max(2, Math.ceil(utxos / Math.max(1, outputs)));
  const fan = nodes.flatMap((n, i) =>
    wallet.fanOut(n.key, perOwner[i], perTx).map((t) => ({ ...t, via: i })),
  );
  log(
    `fan-out: ${fan.length} transactions into ${fan.length * perTx} outputs over ${wallet.signers.length} keys`,
  );
  // Batches of at most 100 calls and ~512 KiB of hex (the node's rpc.maxBodyBytes is 1 MiB),
  // each through the node whose validator owns the spent outputs.
  for (let i = 0; i < fan.length; ) {
    const batch = [fan[i++]];
    let bytes = batch[0].hex.length;
    while (
      i < fan.length &&
      batch.length < 100 &&
      fan[i].via === batch[0].via &&
      bytes + fan[i].hex.length < 512 * 1024
    ) {
      bytes += fan[i].hex.length;
      batch.push(fan[i++]);
    }
    const answers = await nodes[batch[0].via].rpc.batch(
      'sendrawtransaction',
      batch.map((t) => [t.hex]),
    );
    const bad = answers.find((a) => a.error);
    if (bad) throw new Error(`fan-out refused: ${bad.error.message}`);
  }
  const drained = await drain(nodes, 120_000);
  if (!drained.drained) {
    throw new Error(
      `fan-out not drained within 120 s: mempools ${drained.mempools}, tips ${JSON.stringify(drained.tips)}`,
    );
  }
  for (const t of fan) wallet.give(t.creates);
  return wallet;
}

/**
 * Runs the steps on one cluster. Stops after two failed steps in a row (the ceiling is then
 * the highest passing rate); a failed step is retried once (a shared 2-core VM has bad seconds).
 */
export async function runSteps({ cluster, rates, stepSeconds, slotMs, log = (_line) => {} }) {
  const steps = [];
  let failedInRow = 0;
  for (const rate of rates) {
    const seconds = Math.min(stepSeconds, cluster.wallet.size / rate);
    if (seconds < 1) {
      log(`  ${rate} tx/s: not enough outputs (${cluster.wallet.size}); stopping`);
      break;
    }
    let step = await runStep({
      nodes: cluster.nodes,
      wallet: cluster.wallet,
      rate,
      seconds,
      drainTimeoutMs: Math.max(30_000, 40 * slotMs),
      slotMs,
    });
    if (!stepPasses(step)) {
      log(`  ${rate} tx/s failed once (${summary(step)}); retrying`);
      await sleep(2 * slotMs);
      step = await runStep({
        nodes: cluster.nodes,
        wallet: cluster.wallet,
        rate,
        seconds,
        drainTimeoutMs: Math.max(30_000, 40 * slotMs),
      });
    }
    step.pass = stepPasses(step);
    steps.push(step);
    log(`  ${rate} tx/s: ${summary(step)}`);
    failedInRow = step.pass ? 0 : failedInRow + 1;
    if (failedInRow >= 2) break;
  }
  return steps;
}

export function summary(s) {
  return `offered ${s.offered}, accepted ${s.accepted}, included ${s.included} (${s.includedPerSec.toFixed(0)}/s), lost ${s.lost}, tips ${s.tipsAgree ? 'agree' : 'DISAGREE'}, p50 ${s.latencyP50Ms.toFixed(0)} ms, final p50/p99 ${s.finalLatencyP50Ms?.toFixed(0)}/${s.finalLatencyP99Ms?.toFixed(0)} ms (${s.notFinal ?? 0} not final), finality lag p99 ${s.finalityLagP99Slots?.toFixed(2)} slots`;
}

export async function stopCluster(cluster) {
  await Promise.all(cluster.nodes.map((n) => stopNode(n)));
}

export const defaultDir = (name) => join(tmpdir(), `tc-load-${process.pid}-${name}`);
