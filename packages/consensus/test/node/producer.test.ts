import { describe, expect, it } from 'vitest';
import {
  attemptAt,
  attemptStart,
  buildBlock,
  buildGenesisBlock,
  DEFAULT_SLOT_MS,
  encodeTransactionData,
  genesisConfigToInput,
  genesisHash,
  InlineValidator,
  leaderFor,
  Mempool,
  MIN_DEFAULT_LEADER_TIMEOUT_MS,
  nextTurn,
  resolveGenesisConfig,
  toHex,
  txSize,
  validateBlock,
} from '../../src/internal.js';
import {
  childBlock,
  freshChain,
  GENESIS_TS,
  keyOf,
  makeGenesis,
  spendGenesis,
  validators,
} from '../helpers.js';

const validator = new InlineValidator();

describe('schedule', () => {
  const genesis = makeGenesis();

  it('rotates leaders by (height + attempt) mod n', () => {
    const n = validators.length;
    for (let h = 1; h <= 6; h++) {
      for (let a = 0; a < 4; a++) {
        expect(toHex(leaderFor(genesis, h, a))).toBe(toHex(validators[(h + a) % n]!.publicKey));
      }
    }
  });

  it('derives the attempt from the timestamp, one leader timeout per attempt', () => {
    const parent = 10_000;
    expect(attemptAt(genesis, parent, parent + 999)).toBeUndefined();
    expect(attemptAt(genesis, parent, parent + 1_000)).toBe(0);
    expect(attemptAt(genesis, parent, parent + 1_999)).toBe(0);
    expect(attemptAt(genesis, parent, parent + 2_000)).toBe(1);
    expect(attemptStart(genesis, parent, 3)).toBe(parent + 4_000);
  });

  it('tells a validator when its next turn is', () => {
    const parent = { height: 0, timestampMs: GENESIS_TS };
    const me = validators[2]!.publicKey; // leads height 1 at attempt 1: (1 + 1) % 3 = 2
    expect(nextTurn(genesis, parent, me, GENESIS_TS + 1_000)).toEqual({
      attempt: 1,
      atMs: GENESIS_TS + 2_000,
    });
    expect(nextTurn(genesis, parent, me, GENESIS_TS + 2_500)).toEqual({
      attempt: 1,
      atMs: GENESIS_TS + 2_500,
    });
    expect(nextTurn(genesis, parent, me, GENESIS_TS + 3_000)).toEqual({
      attempt: 4,
      atMs: GENESIS_TS + 5_000,
    });
  });
});

describe('genesis', () => {
  it('is deterministic, round-trips through its input form, and fills defaults', () => {
    const a = makeGenesis();
    const b = resolveGenesisConfig(genesisConfigToInput(a));
    expect(toHex(genesisHash(a))).toBe(toHex(genesisHash(b)));
    const g = buildGenesisBlock(a);
    expect(g.block.header.height).toBe(0);
    expect(g.block.txs[0]!.outputs).toHaveLength(8);
    const defaults = resolveGenesisConfig({
      networkId: 'x',
      validators: genesisConfigToInput(a).validators,
      blockReward: 1,
      timestampMs: 0,
    });
    expect(defaults.slotMs).toBe(DEFAULT_SLOT_MS);
    expect(defaults.leaderTimeoutMs).toBe(DEFAULT_SLOT_MS);
    // Fast slots keep their cadence, but an attempt outlasts a block's trip under load.
    const fast = (slotMs: number) =>
      resolveGenesisConfig({
        networkId: 'x',
        validators: defaults.validators.map(toHex),
        blockReward: 1,
        timestampMs: 0,
        slotMs,
      });
    expect(fast(250).slotMs).toBe(250);
    expect(fast(250).leaderTimeoutMs).toBe(MIN_DEFAULT_LEADER_TIMEOUT_MS);
    expect(fast(5_000).leaderTimeoutMs).toBe(5_000);
    expect(
      resolveGenesisConfig({ ...genesisConfigToInput(fast(250)), leaderTimeoutMs: 300 }).leaderTimeoutMs,
    ).toBe(300);
    expect(toHex(genesisHash(makeGenesis({ networkId: 'other' })))).toBe(toHex(genesisHash(a))); // networkId is not in the header
    expect(toHex(genesisHash(makeGenesis({ timestampMs: GENESIS_TS + 1 })))).not.toBe(toHex(genesisHash(a)));
  });

  it('rejects bad configs', () => {
    const base = genesisConfigToInput(makeGenesis());
    expect(() => resolveGenesisConfig({ ...base, validators: [] })).toThrow(RangeError);
    expect(() => resolveGenesisConfig({ ...base, validators: ['abcd'] })).toThrow(RangeError);
    expect(() => resolveGenesisConfig({ ...base, blockReward: 0 })).toThrow(RangeError);
    expect(() => resolveGenesisConfig({ ...base, networkId: '' })).toThrow(RangeError);
    expect(() => resolveGenesisConfig({ ...base, slotMs: 0 })).toThrow(RangeError);
    expect(() => resolveGenesisConfig({ ...base, maxTxBytes: (base.maxBlockBytes ?? 0) + 1 })).toThrow(
      RangeError,
    );
  });
});

describe('buildBlock', () => {
  it('produces valid blocks from the mempool by fee rate, paying reward + fees', async () => {
    const genesis = makeGenesis();
    const chain = freshChain(genesis);
    const mempool = new Mempool();
    const txs = [0, 1, 2].map((i) => spendGenesis(genesis, i, { fee: BigInt(10 * (i + 1)) }));
    await mempool.addTransactions(
      txs.map((t) => encodeTransactionData(t.tx)),
      { validator, utxos: chain, genesis },
    );
    for (let height = 1; height <= 3; height++) {
      const tip = chain.getTip();
      const nowMs = tip.timestampMs + genesis.slotMs;
      const producer = keyOf(leaderFor(genesis, height, 0));
      const built = buildBlock({ parent: tip, mempool, producerKey: producer, attempt: 0, nowMs, genesis });
      const { plan } = await validateBlock({ bytes: built.bytes, validator, view: chain, genesis, nowMs });
      chain.applyPlan(plan);
      mempool.removeForBlock(plan);
      if (height === 1) {
        expect(built.txids.slice(1).map(toHex)).toEqual(
          [txs[2]!, txs[1]!, txs[0]!].map((t) => toHex(t.txid)),
        );
        expect(built.fees).toBe(60n);
        expect(built.block.txs[0]!.outputs[0]!.value).toBe(110n);
      }
    }
    expect(chain.getTip().height).toBe(3);
    expect(mempool.count).toBe(0);
  });

  it('keeps blocks within maxBlockBytes', async () => {
    const oneTx = txSize(spendGenesis(makeGenesis(), 0).tx);
    const genesis = makeGenesis({ maxBlockBytes: 120 + 64 + 68 + 2 * oneTx + 10, maxTxBytes: 400 });
    const chain = freshChain(genesis);
    const mempool = new Mempool();
    await mempool.addTransactions(
      [0, 1, 2, 3].map((i) => encodeTransactionData(spendGenesis(genesis, i).tx)),
      { validator, utxos: chain, genesis },
    );
    const built = childBlock(
      genesis,
      chain.getTip(),
      mempool.selectForBlock(10_000).map((e) => ({ tx: e.tx, fee: e.fee })),
    );
    await expect(
      validateBlock({ bytes: built.bytes, validator, view: chain, genesis, nowMs: built.nowMs }),
    ).rejects.toMatchObject({
      code: 'OVERSIZE_BLOCK',
    });
    const tip = chain.getTip();
    const fitted = buildBlock({
      parent: tip,
      mempool,
      producerKey: keyOf(leaderFor(genesis, 1, 0)),
      attempt: 0,
      nowMs: tip.timestampMs + 1_000,
      genesis,
    });
    expect(fitted.block.txs).toHaveLength(3);
    await expect(
      validateBlock({ bytes: fitted.bytes, validator, view: chain, genesis, nowMs: tip.timestampMs + 1_000 }),
    ).resolves.toBeDefined();
  });

  it('clamps the timestamp into the attempt window', () => {
    const genesis = makeGenesis();
    const tip = freshChain(genesis).getTip();
    const producer = keyOf(leaderFor(genesis, 1, 1));
    const early = buildBlock({
      parent: tip,
      producerKey: producer,
      attempt: 1,
      nowMs: tip.timestampMs,
      genesis,
    });
    expect(early.block.header.timestampMs).toBe(tip.timestampMs + 2_000);
    const late = buildBlock({
      parent: tip,
      producerKey: producer,
      attempt: 1,
      nowMs: tip.timestampMs + 9_000,
      genesis,
    });
    expect(attemptAt(genesis, tip.timestampMs, late.block.header.timestampMs)).toBe(1);
  });
});
