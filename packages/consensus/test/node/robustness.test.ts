import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addressOf,
  ConsensusError,
  encodeTransactionData,
  InlineValidator,
  Mempool,
  signTransaction,
  statelessParams,
  toHex,
  validateBlock,
} from '../../src/internal.js';
import { childBlock, freshChain, genesisOutpoint, makeGenesis, spendGenesis, wallets } from '../helpers.js';

const genesis = makeGenesis();
const validator = new InlineValidator();

describe('robustness', () => {
  it('property: a block with any bytes flipped is rejected with a ConsensusError or is the same block', async () => {
    const chain = freshChain(genesis);
    const built = childBlock(genesis, chain.getTip(), [
      { tx: spendGenesis(genesis, 0).tx, fee: 10n },
      { tx: spendGenesis(genesis, 1).tx, fee: 10n },
    ]);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }), {
          minLength: 1,
          maxLength: 3,
        }),
        async (flips) => {
          const bytes = new Uint8Array(built.bytes);
          for (const f of flips) bytes[f.at % bytes.length]! ^= f.xor;
          try {
            const { plan } = await validateBlock({
              bytes,
              validator,
              view: chain,
              genesis,
              nowMs: built.nowMs,
            });
            // Only a change the consensus view ignores (e.g. an unknown protobuf field) can pass.
            expect(toHex(plan.hash)).toBe(toHex(built.hash));
          } catch (err) {
            expect(err).toBeInstanceOf(ConsensusError);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: random bytes never crash stateless validation of blocks or transactions', async () => {
    const params = statelessParams(genesis);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), async (bytes) => {
        await validator.validateBlock(bytes, params).then(
          () => expect.unreachable('random bytes validated as a block'),
          (err: unknown) => expect(err).toBeInstanceOf(ConsensusError),
        );
        const [r] = await validator.validateTransactions([bytes], params);
        expect(r!.ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('a chain of 12 blocks built from the mempool stays consistent', async () => {
    const chain = freshChain(genesis);
    const mempool = new Mempool();
    const ctx = { validator, utxos: chain, genesis };
    // Wallet i keeps forwarding its own coins to itself, one transaction per block.
    const coins = Array.from({ length: 8 }, (_, i) => ({
      ...genesisOutpoint(genesis, i),
      value: 1_000_000n,
    }));
    for (let height = 1; height <= 12; height++) {
      const txs = coins.map((coin, i) =>
        signTransaction(genesis.networkId, {
          inputs: [{ prevTxid: coin.prevTxid, vout: coin.vout, keys: wallets[i]! }],
          outputs: [{ value: coin.value - BigInt(i + 1), recipient: addressOf(wallets[i]!.publicKey) }],
        }),
      );
      const added = await mempool.addTransactions(
        txs.map((t) => encodeTransactionData(t.tx)),
        ctx,
      );
      expect(added.every((r) => r.ok)).toBe(true);
      const tip = chain.getTip();
      const built = childBlock(
        genesis,
        tip,
        mempool.selectForBlock(genesis.maxBlockBytes).map((e) => ({ tx: e.tx, fee: e.fee })),
      );
      const { plan } = await validateBlock({
        bytes: built.bytes,
        validator,
        view: chain,
        genesis,
        nowMs: built.nowMs,
      });
      chain.applyPlan(plan);
      expect(mempool.removeForBlock(plan)).toBe(8);
      txs.forEach((t, i) => {
        coins[i] = { prevTxid: t.txid, vout: 0, value: coins[i]!.value - BigInt(i + 1) };
      });
      expect(plan.fees).toBe(36n);
    }
    expect(chain.getTip().height).toBe(12);
    // 8 wallet outputs + 12 coinbases, no more, no less.
    expect(chain.utxoCount).toBe(8 + 12);
  });
});
