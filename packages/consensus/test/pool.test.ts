import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import {
  encodeBlockData,
  encodeTransactionData,
  InlineValidator,
  MAX_BATCHED_BLOCK_BYTES,
  POOL_TASKS_PER_WORKER,
  StatelessValidationError,
  statelessParams,
  toHex,
  txid,
  ValidationPool,
  ValidationPoolError,
  validateBlock,
} from '../src/internal.js';
import { childBlock, freshChain, makeGenesis, spendGenesis, WORKER } from './helpers.js';

const genesis = makeGenesis();
const params = statelessParams(genesis);

describe('ValidationPool (real worker threads)', () => {
  const registry = new Registry();
  const pool = new ValidationPool({ threads: 2, workerFilename: WORKER, registry });
  afterAll(async () => {
    await pool.destroy();
  });

  it('validates a block in a worker with the same result as inline, leaving the caller bytes intact', async () => {
    const chain = freshChain(genesis);
    const built = childBlock(genesis, chain.getTip(), [
      { tx: spendGenesis(genesis, 0).tx, fee: 10n },
      { tx: spendGenesis(genesis, 1).tx, fee: 10n },
    ]);
    const before = toHex(built.bytes);
    const pooled = await pool.validateBlock(built.bytes, params);
    const inline = await new InlineValidator().validateBlock(built.bytes, params);
    expect(toHex(built.bytes)).toBe(before);
    expect(toHex(pooled.hash)).toBe(toHex(built.hash));
    expect(pooled.txids.map(toHex)).toEqual(inline.txids.map(toHex));
    expect(pooled.size).toBe(inline.size);
    const { plan } = await validateBlock({
      bytes: built.bytes,
      validator: pool,
      view: chain,
      genesis,
      nowMs: built.nowMs,
    });
    expect(plan.fees).toBe(20n);
  });

  it('reports a tampered block with a typed StatelessValidationError', async () => {
    const chain = freshChain(genesis);
    const tx = spendGenesis(genesis, 0).tx;
    const built = childBlock(genesis, chain.getTip(), [{ tx, fee: 10n }]);
    const sig = new Uint8Array(tx.inputs[0]!.signature);
    sig[1]! ^= 4;
    const bad = {
      ...built.block,
      txs: [built.block.txs[0]!, { ...tx, inputs: [{ ...tx.inputs[0]!, signature: sig }] }],
    };
    const err = await pool.validateBlock(encodeBlockData(bad), params).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StatelessValidationError);
    expect(err).toMatchObject({ code: 'BAD_TX_SIGNATURE', txIndex: 1, inputIndex: 0 });
  });

  it('uses the txids this node hashed already instead of hashing again (a wrong one fails the signature)', async () => {
    const txs = [0, 1, 2].map((i) => spendGenesis(genesis, i, { to: 4 }).tx);
    const bytes = txs.map((tx) => encodeTransactionData(tx));
    const ids = txs.map((tx) => txid(tx));
    const wrong = new Uint8Array(32).fill(7);
    const results = await pool.validateTransactions(bytes, params, [ids[0], undefined, wrong]);
    expect(results[0]).toMatchObject({ ok: true });
    expect(toHex((results[0] as { txid: Uint8Array }).txid)).toBe(toHex(ids[0]!));
    expect(results[1]).toMatchObject({ ok: true }); // unknown: hashed in the worker
    // The given id is signed over as is: had the worker hashed again, this would pass.
    expect(results[2]).toMatchObject({ ok: false, error: { code: 'BAD_TX_SIGNATURE' } });
  });

  it('validates transaction batches split across workers; each fails on its own', async () => {
    const good = Array.from({ length: 8 }, (_, i) => encodeTransactionData(spendGenesis(genesis, i).tx));
    const badTx = spendGenesis(genesis, 0, { to: 3 }).tx;
    const sig = new Uint8Array(badTx.inputs[0]!.signature);
    sig[0]! ^= 1;
    const bad = encodeTransactionData({ ...badTx, inputs: [{ ...badTx.inputs[0]!, signature: sig }] });
    const batch = [...good, bad, new Uint8Array([0xff, 0xff]), ...good];
    const results = await pool.validateTransactions(batch, params);
    expect(results).toHaveLength(batch.length);
    expect(results.map((r) => r.ok)).toEqual([
      ...good.map(() => true),
      false,
      false,
      ...good.map(() => true),
    ]);
    expect(results[8]).toMatchObject({ ok: false, error: { code: 'BAD_TX_SIGNATURE' } });
    expect(results[9]).toMatchObject({ ok: false, error: { code: 'MALFORMED_TX' } });
    const inline = await new InlineValidator().validateTransactions(batch, params);
    expect(results.map((r) => (r.ok ? toHex(r.txid) : r.error.code))).toEqual(
      inline.map((r) => (r.ok ? toHex(r.txid) : r.error.code)),
    );
  });

  it('exposes stats and prom-client metrics', async () => {
    const stats = pool.stats();
    expect(stats.threads).toBe(2);
    expect(stats.completed).toBeGreaterThan(0);
    expect(stats.utilization).toBeGreaterThanOrEqual(0);
    const text = await registry.metrics();
    expect(text).toContain('tc_consensus_pool_tasks_total');
    expect(text).toContain('tc_consensus_pool_queue_tasks');
    expect(text).toContain('tc_consensus_pool_task_seconds');
    // Split by the worker's own stamps.
    for (const phase of ['wait', 'run', 'return'])
      expect(text).toMatch(
        new RegExp(`tc_consensus_pool_task_phase_seconds_count\\{kind="blocks",phase="${phase}"\\} [1-9]`),
      );
  });
});

describe('ValidationPool bounds', () => {
  it('rejects tasks beyond maxQueue with QUEUE_FULL instead of queueing without bound', async () => {
    const pool = new ValidationPool({ threads: 1, maxQueue: 1, workerFilename: WORKER });
    try {
      const chain = freshChain(genesis);
      const txs = Array.from({ length: 2 }, (_, i) => ({ tx: spendGenesis(genesis, i).tx, fee: 10n }));
      const { bytes } = childBlock(genesis, chain.getTip(), txs);
      expect(16 * bytes.length).toBeLessThanOrEqual(MAX_BATCHED_BLOCK_BYTES); // 16 fit in one task
      expect(pool.canAcceptWork()).toBe(true);
      // One tick's blocks, in tasks of 16: the worker holds POOL_TASKS_PER_WORKER of them, one
      // waits in the queue (maxQueue 1) and one is refused.
      const tasks = POOL_TASKS_PER_WORKER + 2;
      const submitted = Array.from({ length: 16 * tasks }, () => pool.validateBlock(bytes, params));
      await null; // the tick's blocks are grouped into tasks on a microtask
      expect(pool.canAcceptWork()).toBe(false); // the queue is at maxQueue: a caller can hold work back
      const settled = await Promise.allSettled(submitted);
      expect(pool.canAcceptWork()).toBe(true);
      const rejected = settled.filter((s) => s.status === 'rejected');
      expect(rejected).toHaveLength(16);
      for (const r of rejected) {
        expect((r as PromiseRejectedResult).reason).toBeInstanceOf(ValidationPoolError);
        expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'QUEUE_FULL' });
      }
      expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(16 * (tasks - 1));
    } finally {
      await pool.destroy();
    }
  });

  it('groups the blocks asked for in one tick into tasks of at most 16, each with its own result', async () => {
    const registry = new Registry();
    const pool = new ValidationPool({ threads: 1, workerFilename: WORKER, registry });
    try {
      const chain = freshChain(genesis);
      const good = childBlock(genesis, chain.getTip()).bytes;
      const bad = new Uint8Array(good);
      bad[bad.length - 1]! ^= 1; // the producer's signature
      const blocks = Array.from({ length: 20 }, (_, i) => (i === 7 ? bad : good));
      const settled = await Promise.allSettled(blocks.map((b) => pool.validateBlock(b, params)));
      expect(settled.map((s) => s.status)).toEqual(blocks.map((b) => (b === bad ? 'rejected' : 'fulfilled')));
      expect((settled[7] as PromiseRejectedResult).reason).toBeInstanceOf(StatelessValidationError);
      const inline = await new InlineValidator().validateBlock(good, params);
      expect(toHex((settled[0] as PromiseFulfilledResult<typeof inline>).value.hash)).toBe(
        toHex(inline.hash),
      );
      // 20 blocks in one tick: two tasks (16 + 4), one of them holding the invalid block.
      const text = await registry.metrics();
      expect(text).toMatch(/tc_consensus_pool_tasks_total\{kind="blocks",result="invalid"\} 1/);
      expect(text).toMatch(/tc_consensus_pool_tasks_total\{kind="blocks",result="ok"\} 1/);
    } finally {
      await pool.destroy();
    }
  });

  it('checks queued blocks with an order lowest first, after those without one (an import waits on the lowest)', async () => {
    const pool = new ValidationPool({ threads: 1, workerFilename: WORKER });
    try {
      const chain = freshChain(genesis);
      const txs = Array.from({ length: 8 }, (_, i) => ({ tx: spendGenesis(genesis, i).tx, fee: 10n }));
      const { bytes } = childBlock(genesis, chain.getTip(), txs);
      const done: string[] = [];
      const ask = (name: string, order?: number) =>
        pool.validateBlock(bytes, params, order === undefined ? {} : { order }).then(() => done.push(name));
      // Each call in its own tick is its own task; the first ones fill the only worker, the rest queue.
      const busy = Array.from({ length: POOL_TASKS_PER_WORKER }, (_, i) => `busy${i}`);
      const all: Promise<number>[] = [];
      for (const name of busy) {
        all.push(ask(name));
        await null;
      }
      for (const [name, order] of [
        ['h30', 30],
        ['h10', 10],
        ['gossip', undefined],
        ['h20', 20],
      ] as const) {
        await null;
        all.push(ask(name, order));
      }
      await Promise.all(all);
      expect(done).toEqual([...busy, 'gossip', 'h10', 'h20', 'h30']);
    } finally {
      await pool.destroy();
    }
  });

  it('finds the built worker by default, and fails with DESTROYED after destroy()', async () => {
    const pool = new ValidationPool({ threads: 1, closeTimeoutMs: 2_000 });
    const chain = freshChain(genesis);
    const { bytes } = childBlock(genesis, chain.getTip());
    await expect(pool.validateBlock(bytes, params)).resolves.toBeDefined();
    await pool.destroy();
    await expect(pool.validateBlock(bytes, params)).rejects.toMatchObject({ code: 'DESTROYED' });
  });
});
