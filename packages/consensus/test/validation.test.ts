import { describe, expect, it } from 'vitest';
import {
  addressOf,
  attemptAt,
  buildBlock,
  CONSENSUS_ERROR_ACTIONS,
  type ConsensusError,
  type ConsensusErrorCode,
  encodeBlockData,
  type GenesisConfig,
  InlineValidator,
  leaderFor,
  type MemoryChainState,
  STATEFUL_ERROR_CODES,
  STATELESS_ERROR_CODES,
  StatefulValidationError,
  StatelessValidationError,
  signTransaction,
  validateBlock,
} from '../src/internal.js';
import {
  childBlock,
  freshChain,
  genesisOutpoint,
  keyOf,
  makeGenesis,
  reseal,
  resign,
  spendGenesis,
  validators,
  wallets,
} from './helpers.js';

const inline = new InlineValidator();

async function check(
  genesis: GenesisConfig,
  chain: MemoryChainState,
  bytes: Uint8Array,
  nowMs: number,
): Promise<ConsensusError | undefined> {
  try {
    await validateBlock({ bytes, validator: inline, view: chain, genesis, nowMs });
    return undefined;
  } catch (err) {
    if (err instanceof StatelessValidationError || err instanceof StatefulValidationError) return err;
    throw err;
  }
}

async function expectCode(
  genesis: GenesisConfig,
  chain: MemoryChainState,
  bytes: Uint8Array,
  nowMs: number,
  code: ConsensusErrorCode,
): Promise<ConsensusError> {
  const err = await check(genesis, chain, bytes, nowMs);
  expect(err?.code).toBe(code);
  return err!;
}

describe('block validation (inline)', () => {
  const genesis = makeGenesis();

  it('accepts a valid block and returns the commit plan', async () => {
    const chain = freshChain(genesis);
    const a = spendGenesis(genesis, 0, { fee: 10n, to: 1 });
    const b = spendGenesis(genesis, 1, { fee: 25n });
    const built = childBlock(genesis, chain.getTip(), [
      { tx: a.tx, fee: 10n },
      { tx: b.tx, fee: 25n },
    ]);
    const { plan } = await validateBlock({
      bytes: built.bytes,
      validator: inline,
      view: chain,
      genesis,
      nowMs: built.nowMs,
    });
    expect(plan.height).toBe(1);
    expect(plan.hash).toEqual(built.hash);
    expect(plan.prevHash).toEqual(chain.getTip().hash);
    expect(plan.fees).toBe(35n);
    expect(plan.txs.map((t) => t.index)).toEqual([0, 1, 2]);
    expect(plan.txs[1]!.txid).toEqual(a.txid);
    expect(plan.spends).toEqual([
      { txid: genesisOutpoint(genesis, 0).prevTxid, vout: 0 },
      { txid: genesisOutpoint(genesis, 1).prevTxid, vout: 1 },
    ]);
    expect(plan.spentOutputs.map((o) => o.value)).toEqual([1_000_000n, 1_000_000n]);
    expect(plan.creates).toHaveLength(3);
    expect(plan.creates[0]!.output.value).toBe(50n + 35n);
    chain.applyPlan(plan);
    expect(chain.getTip().height).toBe(1);
  });

  it('rejects a bad input signature with BAD_TX_SIGNATURE', async () => {
    const chain = freshChain(genesis);
    const a = spendGenesis(genesis, 0);
    const built = childBlock(genesis, chain.getTip(), [{ tx: a.tx, fee: 10n }]);
    const sig = new Uint8Array(a.tx.inputs[0]!.signature);
    sig[5]! ^= 1;
    const tampered = {
      ...built.block,
      txs: [built.block.txs[0]!, { ...a.tx, inputs: [{ ...a.tx.inputs[0]!, signature: sig }] }],
    };
    const err = await expectCode(genesis, chain, encodeBlockData(tampered), built.nowMs, 'BAD_TX_SIGNATURE');
    expect(err.txIndex).toBe(1);
    expect(err.inputIndex).toBe(0);
    expect(CONSENSUS_ERROR_ACTIONS[err.code].action).toBe('ban');
  });

  it('rejects a signature made for another network', async () => {
    const chain = freshChain(genesis);
    const other = signTransaction('tc-other', {
      inputs: [{ ...genesisOutpoint(genesis, 0), keys: wallets[0]! }],
      outputs: [{ value: 999_990n, recipient: addressOf(wallets[0]!.publicKey) }],
    });
    const built = childBlock(genesis, chain.getTip(), [{ tx: other.tx, fee: 10n }]);
    await expectCode(genesis, chain, built.bytes, built.nowMs, 'BAD_TX_SIGNATURE');
  });

  it('rejects a bad merkle root with BAD_MERKLE_ROOT', async () => {
    const chain = freshChain(genesis);
    const built = childBlock(genesis, chain.getTip(), [{ tx: spendGenesis(genesis, 0).tx, fee: 10n }]);
    const root = new Uint8Array(built.block.header.merkleRoot);
    root[0]! ^= 0xff;
    const { bytes } = resign(genesis, {
      ...built.block,
      header: { ...built.block.header, merkleRoot: root },
    });
    await expectCode(genesis, chain, bytes, built.nowMs, 'BAD_MERKLE_ROOT');
  });

  it('rejects a bad producer signature with BAD_PRODUCER_SIGNATURE', async () => {
    const chain = freshChain(genesis);
    const built = childBlock(genesis, chain.getTip());
    const sig = new Uint8Array(built.block.producerSignature);
    sig[0]! ^= 1;
    await expectCode(
      genesis,
      chain,
      encodeBlockData({ ...built.block, producerSignature: sig }),
      built.nowMs,
      'BAD_PRODUCER_SIGNATURE',
    );
  });

  it('rejects a double spend inside a block with DOUBLE_SPEND_IN_BLOCK', async () => {
    const chain = freshChain(genesis);
    const a = spendGenesis(genesis, 0, { to: 1 });
    const b = spendGenesis(genesis, 0, { to: 2 });
    const built = childBlock(genesis, chain.getTip(), [
      { tx: a.tx, fee: 10n },
      { tx: b.tx, fee: 10n },
    ]);
    const err = await expectCode(genesis, chain, built.bytes, built.nowMs, 'DOUBLE_SPEND_IN_BLOCK');
    expect(err.txIndex).toBe(2);
  });

  it('rejects a double spend across blocks with MISSING_OR_SPENT_INPUT', async () => {
    const chain = freshChain(genesis);
    const first = childBlock(genesis, chain.getTip(), [
      { tx: spendGenesis(genesis, 0, { to: 1 }).tx, fee: 10n },
    ]);
    const { plan } = await validateBlock({
      bytes: first.bytes,
      validator: inline,
      view: chain,
      genesis,
      nowMs: first.nowMs,
    });
    chain.applyPlan(plan);
    const second = childBlock(genesis, chain.getTip(), [
      { tx: spendGenesis(genesis, 0, { to: 2 }).tx, fee: 10n },
    ]);
    const err = await expectCode(genesis, chain, second.bytes, second.nowMs, 'MISSING_OR_SPENT_INPUT');
    expect(err).toBeInstanceOf(StatefulValidationError);
  });

  it('rejects the wrong leader with WRONG_LEADER', async () => {
    const chain = freshChain(genesis);
    const tip = chain.getTip();
    const leader = leaderFor(genesis, 1, 0);
    const impostor = validators.find((v) => !Buffer.from(v.publicKey).equals(Buffer.from(leader)))!;
    const built = childBlock(genesis, tip, [], { producer: impostor });
    await expectCode(genesis, chain, built.bytes, built.nowMs, 'WRONG_LEADER');
  });

  it('accepts the next leader once the attempt has advanced, and rejects a mislabelled attempt', async () => {
    const chain = freshChain(genesis);
    const tip = chain.getTip();
    const late = childBlock(genesis, tip, [], { attempt: 2 });
    expect(await check(genesis, chain, late.bytes, late.nowMs)).toBeUndefined();
    // Claims attempt 1 with a timestamp in attempt 2's window.
    const producer = keyOf(leaderFor(genesis, 1, 1));
    const lie = buildBlock({
      parent: tip,
      producerKey: producer,
      attempt: 1,
      nowMs: late.nowMs,
      genesis,
      timestampMs: late.block.header.timestampMs,
    });
    await expectCode(genesis, chain, lie.bytes, late.nowMs, 'BAD_LEADER_ATTEMPT');
  });

  it('rejects a future timestamp with FUTURE_TIMESTAMP', async () => {
    const chain = freshChain(genesis);
    const tip = chain.getTip();
    const future = tip.timestampMs + 60_000;
    const attempt = attemptAt(genesis, tip.timestampMs, future)!;
    const producer = keyOf(leaderFor(genesis, 1, attempt));
    const built = buildBlock({ parent: tip, producerKey: producer, attempt, nowMs: future, genesis });
    const err = await expectCode(genesis, chain, built.bytes, tip.timestampMs + 1_000, 'FUTURE_TIMESTAMP');
    expect(CONSENSUS_ERROR_ACTIONS[err.code].action).toBe('score');
    // The same block is fine once the clock catches up.
    expect(await check(genesis, chain, built.bytes, future)).toBeUndefined();
  });

  it('rejects a timestamp before the slot with TIMESTAMP_TOO_OLD', async () => {
    const chain = freshChain(genesis);
    const tip = chain.getTip();
    const built = buildBlock({
      parent: tip,
      producerKey: keyOf(leaderFor(genesis, 1, 0)),
      attempt: 0,
      nowMs: tip.timestampMs + 10,
      genesis,
      timestampMs: tip.timestampMs + 10,
    });
    await expectCode(genesis, chain, built.bytes, tip.timestampMs + 1_000, 'TIMESTAMP_TOO_OLD');
  });

  it('rejects an oversize block with OVERSIZE_BLOCK', async () => {
    const small = makeGenesis({ maxBlockBytes: 600, maxTxBytes: 400 });
    const chain = freshChain(small);
    const txs = [0, 1, 2].map((i) => ({ tx: spendGenesis(small, i).tx, fee: 10n }));
    const built = childBlock(small, chain.getTip(), txs);
    await expectCode(small, chain, built.bytes, built.nowMs, 'OVERSIZE_BLOCK');
  });

  it('rejects an overpaying coinbase with COINBASE_OVERPAYS and an underpaying one with COINBASE_UNDERPAYS', async () => {
    const chain = freshChain(genesis);
    const built = childBlock(genesis, chain.getTip(), [{ tx: spendGenesis(genesis, 0).tx, fee: 10n }]);
    const cb = built.block.txs[0]!;
    for (const [delta, code] of [
      [1n, 'COINBASE_OVERPAYS'],
      [-1n, 'COINBASE_UNDERPAYS'],
    ] as const) {
      const coinbase = { ...cb, outputs: [{ ...cb.outputs[0]!, value: cb.outputs[0]!.value + delta }] };
      const { bytes } = reseal(genesis, { ...built.block, txs: [coinbase, ...built.block.txs.slice(1)] });
      await expectCode(genesis, chain, bytes, built.nowMs, code);
    }
  });

  it('rejects spending more than the inputs with VALUE_NOT_CONSERVED', async () => {
    const chain = freshChain(genesis);
    const a = spendGenesis(genesis, 0, { amount: 1_000_001n, fee: 0n });
    const built = childBlock(genesis, chain.getTip(), [{ tx: a.tx, fee: -1n }]);
    await expectCode(genesis, chain, built.bytes, built.nowMs, 'VALUE_NOT_CONSERVED');
  });

  it("rejects spending someone else's output with INPUT_KEY_MISMATCH", async () => {
    const chain = freshChain(genesis);
    const thief = signTransaction(genesis.networkId, {
      inputs: [{ ...genesisOutpoint(genesis, 0), keys: wallets[1]! }],
      outputs: [{ value: 999_990n, recipient: addressOf(wallets[1]!.publicKey) }],
    });
    const built = childBlock(genesis, chain.getTip(), [{ tx: thief.tx, fee: 10n }]);
    await expectCode(genesis, chain, built.bytes, built.nowMs, 'INPUT_KEY_MISMATCH');
  });

  it('allows spending an output created earlier in the same block, but not a later one', async () => {
    const chain = freshChain(genesis);
    const a = spendGenesis(genesis, 0, { fee: 10n });
    const chained = signTransaction(genesis.networkId, {
      inputs: [{ prevTxid: a.txid, vout: 0, keys: wallets[0]! }],
      outputs: [{ value: 999_980n, recipient: addressOf(wallets[2]!.publicKey) }],
    });
    const ok = childBlock(genesis, chain.getTip(), [
      { tx: a.tx, fee: 10n },
      { tx: chained.tx, fee: 10n },
    ]);
    const { plan } = await validateBlock({
      bytes: ok.bytes,
      validator: inline,
      view: chain,
      genesis,
      nowMs: ok.nowMs,
    });
    expect(plan.spends).toHaveLength(1);
    expect(plan.creates.map((c) => c.output.value)).toEqual([70n, 999_980n]);
    const wrongOrder = childBlock(genesis, chain.getTip(), [
      { tx: chained.tx, fee: 10n },
      { tx: a.tx, fee: 10n },
    ]);
    await expectCode(genesis, chain, wrongOrder.bytes, ok.nowMs, 'MISSING_OR_SPENT_INPUT');
  });

  it('reports structure errors with their own codes', async () => {
    const chain = freshChain(genesis);
    const built = childBlock(genesis, chain.getTip(), [{ tx: spendGenesis(genesis, 0).tx, fee: 10n }]);
    const [cb, tx] = built.block.txs as [(typeof built.block.txs)[0], (typeof built.block.txs)[0]];
    const cases: [ConsensusErrorCode, Uint8Array][] = [
      ['MALFORMED_BLOCK', new Uint8Array([0x0a, 0xff, 0xff])],
      ['MALFORMED_BLOCK', encodeBlockData({ ...built.block }).subarray(0, 10)],
      [
        'BAD_BLOCK_VERSION',
        resign(genesis, { ...built.block, header: { ...built.block.header, version: 2 } }).bytes,
      ],
      ['MISSING_COINBASE', reseal(genesis, { ...built.block, txs: [tx] }).bytes],
      ['MULTIPLE_COINBASE', reseal(genesis, { ...built.block, txs: [cb, { ...cb, nonce: 99n }] }).bytes],
      ['BAD_COINBASE', reseal(genesis, { ...built.block, txs: [{ ...cb, nonce: 7n }, tx] }).bytes],
      ['DUPLICATE_TX', reseal(genesis, { ...built.block, txs: [cb, tx, tx] }).bytes],
      ['BAD_TX_VERSION', reseal(genesis, { ...built.block, txs: [cb, { ...tx, version: 9 }] }).bytes],
      ['NO_OUTPUTS', reseal(genesis, { ...built.block, txs: [cb, { ...tx, outputs: [] }] }).bytes],
      [
        'BAD_OUTPUT_VALUE',
        reseal(genesis, { ...built.block, txs: [cb, { ...tx, outputs: [{ ...tx.outputs[0]!, value: 0n }] }] })
          .bytes,
      ],
      [
        'DUPLICATE_INPUT',
        reseal(genesis, { ...built.block, txs: [cb, { ...tx, inputs: [tx.inputs[0]!, tx.inputs[0]!] }] })
          .bytes,
      ],
      [
        'BAD_FIELD_LENGTH',
        encodeBlockData({ ...built.block, header: { ...built.block.header, prevHash: new Uint8Array(31) } }),
      ],
    ];
    for (const [code, bytes] of cases) {
      const err = await check(genesis, chain, bytes, built.nowMs);
      expect(err?.code, code).toBe(code);
      expect(err).toBeInstanceOf(StatelessValidationError);
    }
  });

  it('reports chain-linkage errors: UNKNOWN_PARENT, PARENT_NOT_TIP, BAD_HEIGHT', async () => {
    const chain = freshChain(genesis);
    const b1 = childBlock(genesis, chain.getTip());
    const orphan = childBlock(genesis, {
      height: 1,
      hash: new Uint8Array(32).fill(7),
      timestampMs: b1.block.header.timestampMs,
    });
    const unknown = await expectCode(genesis, chain, orphan.bytes, orphan.nowMs, 'UNKNOWN_PARENT');
    expect(CONSENSUS_ERROR_ACTIONS[unknown.code].action).toBe('ignore');
    chain.applyPlan(
      (await validateBlock({ bytes: b1.bytes, validator: inline, view: chain, genesis, nowMs: b1.nowMs }))
        .plan,
    );
    const sibling = childBlock(genesis, chain.getHeaderAtHeight(0)!, [], { attempt: 1 });
    await expectCode(genesis, chain, sibling.bytes, sibling.nowMs, 'PARENT_NOT_TIP');
    const tip = chain.getTip();
    const wrongHeight = buildBlock({
      parent: { ...tip, height: 5 },
      producerKey: keyOf(leaderFor(genesis, 6, 0)),
      attempt: 0,
      nowMs: tip.timestampMs + 1_000,
      genesis,
    });
    await expectCode(genesis, chain, wrongHeight.bytes, tip.timestampMs + 1_000, 'BAD_HEIGHT');
  });

  it('checks the header hash when one is expected', async () => {
    const chain = freshChain(genesis);
    const built = childBlock(genesis, chain.getTip());
    await expect(
      validateBlock({
        bytes: built.bytes,
        validator: inline,
        view: chain,
        genesis,
        nowMs: built.nowMs,
        expectedHash: built.hash,
      }),
    ).resolves.toBeDefined();
    await expect(
      validateBlock({
        bytes: built.bytes,
        validator: inline,
        view: chain,
        genesis,
        nowMs: built.nowMs,
        expectedHash: new Uint8Array(32),
      }),
    ).rejects.toMatchObject({ code: 'BAD_HEADER_HASH' });
  });

  it('has an action for every error code', () => {
    for (const code of [...STATELESS_ERROR_CODES, ...STATEFUL_ERROR_CODES]) {
      expect(CONSENSUS_ERROR_ACTIONS[code], code).toBeDefined();
    }
  });
});
