import fc from 'fast-check';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import {
  addressOf,
  encodeTransactionData,
  InlineValidator,
  MEMPOOL_ERROR_ACTIONS,
  Mempool,
  MempoolError,
  SeenFilter,
  signTransaction,
  type TransactionData,
  toHex,
  toPbTransaction,
  validateBlock,
} from '../src/internal.js';
import { childBlock, freshChain, genesisOutpoint, makeGenesis, spendGenesis, wallets } from './helpers.js';

const genesis = makeGenesis();
const validator = new InlineValidator();

function fakeEntry(
  i: number,
  fee: bigint,
  size = 200,
): { txid: Uint8Array; tx: TransactionData; size: number; fee: bigint } {
  const prev = new Uint8Array(32);
  new DataView(prev.buffer).setUint32(0, i);
  const txid = new Uint8Array(32);
  new DataView(txid.buffer).setUint32(0, i + 1_000_000);
  return {
    txid,
    size,
    fee,
    tx: {
      version: 1,
      nonce: 0n,
      inputs: [{ prevTxid: prev, vout: 0, publicKey: new Uint8Array(32), signature: new Uint8Array(64) }],
      outputs: [{ value: 1n, recipient: new Uint8Array(32) }],
    },
  };
}

describe('Mempool', () => {
  it('admits valid transactions through the validator and the UTXO view', async () => {
    const chain = freshChain(genesis);
    const registry = new Registry();
    const mempool = new Mempool({ registry });
    const a = spendGenesis(genesis, 0, { fee: 10n });
    const b = spendGenesis(genesis, 1, { fee: 30n });
    const results = await mempool.addTransactions([encodeTransactionData(a.tx), toPbTransaction(b.tx)], {
      validator,
      utxos: chain,
      genesis,
    });
    expect(results.map((r) => r.ok)).toEqual([true, true]);
    expect(mempool.count).toBe(2);
    expect(mempool.get(a.txid)?.fee).toBe(10n);
    expect(mempool.pending(10).map((e) => toHex(e.txid))).toEqual([toHex(b.txid), toHex(a.txid)]);
    expect(mempool.pending(1)).toHaveLength(1);
    expect(await registry.metrics()).toContain('tc_consensus_mempool_txs 2');
  });

  it('rejects duplicates, conflicts, missing inputs and invalid transactions with their codes', async () => {
    const chain = freshChain(genesis);
    const mempool = new Mempool();
    const ctx = { validator, utxos: chain, genesis };
    const a = spendGenesis(genesis, 0, { to: 1 });
    const conflict = spendGenesis(genesis, 0, { to: 2 });
    const missing = signTransaction(genesis.networkId, {
      inputs: [{ prevTxid: new Uint8Array(32).fill(3), vout: 0, keys: wallets[0]! }],
      outputs: [{ value: 1n, recipient: addressOf(wallets[0]!.publicKey) }],
    });
    const overspend = spendGenesis(genesis, 2, { amount: 2_000_000n });
    const badSig = spendGenesis(genesis, 3).tx;
    const sig = new Uint8Array(badSig.inputs[0]!.signature);
    sig[3]! ^= 1;
    const results = await mempool.addTransactions(
      [
        a.tx,
        a.tx,
        conflict.tx,
        missing.tx,
        overspend.tx,
        { ...badSig, inputs: [{ ...badSig.inputs[0]!, signature: sig }] },
      ].map(encodeTransactionData),
      ctx,
    );
    const codes = results.map((r) => (r.ok ? 'ok' : r.error.code));
    expect(codes).toEqual([
      'ok',
      'ALREADY_IN_MEMPOOL',
      'MEMPOOL_CONFLICT',
      'MISSING_INPUT',
      'VALUE_NOT_CONSERVED',
      'BAD_TX_SIGNATURE',
    ]);
    expect(MEMPOOL_ERROR_ACTIONS.MISSING_INPUT.action).toBe('ignore');
    expect(mempool.count).toBe(1);
  });

  it('refuses a spent or unknown input before verifying any signature (cheap before expensive)', async () => {
    const chain = freshChain(genesis);
    const mempool = new Mempool();
    const verified: number[] = [];
    const counting = {
      validateBlock: validator.validateBlock.bind(validator),
      validateTransactions: (
        txs: readonly Uint8Array[],
        params: Parameters<typeof validator.validateTransactions>[1],
      ) => {
        verified.push(txs.length);
        return validator.validateTransactions(txs, params);
      },
      verifySignatures: validator.verifySignatures.bind(validator),
      destroy: async () => {},
    };
    const ok = spendGenesis(genesis, 0);
    const missing = signTransaction(genesis.networkId, {
      inputs: [{ prevTxid: new Uint8Array(32).fill(9), vout: 0, keys: wallets[0]! }],
      outputs: [{ value: 1n, recipient: addressOf(wallets[0]!.publicKey) }],
    });
    // A forged signature over an unknown input: refused for the input, never verified.
    const forged = {
      ...missing.tx,
      inputs: [{ ...missing.tx.inputs[0]!, signature: new Uint8Array(64).fill(1) }],
    };
    const results = await mempool.addTransactions([ok.tx, missing.tx, forged].map(encodeTransactionData), {
      validator: counting,
      utxos: chain,
      genesis,
    });
    expect(results.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual([
      'ok',
      'MISSING_INPUT',
      'MISSING_INPUT',
    ]);
    expect(verified).toEqual([1]);
    expect(results[1]!.txid && toHex(results[1]!.txid)).toBe(toHex(missing.txid));
  });

  it('is bounded by count and evicts the lowest fee rate for a better one', () => {
    const mempool = new Mempool({ maxCount: 3 });
    mempool.insert(fakeEntry(1, 10n));
    mempool.insert(fakeEntry(2, 30n));
    mempool.insert(fakeEntry(3, 20n));
    expect(() => mempool.insert(fakeEntry(4, 5n))).toThrow(MempoolError);
    expect(() => mempool.insert(fakeEntry(5, 10n))).toThrow(/MEMPOOL_FULL/); // equal rate does not evict
    mempool.insert(fakeEntry(6, 40n));
    expect(mempool.count).toBe(3);
    expect(mempool.pending(10).map((e) => e.fee)).toEqual([40n, 30n, 20n]);
  });

  it('is bounded by bytes and orders by fee per byte, not by fee', () => {
    const mempool = new Mempool({ maxBytes: 1_000 });
    mempool.insert(fakeEntry(1, 100n, 500)); // 0.2 / byte
    mempool.insert(fakeEntry(2, 60n, 200)); // 0.3 / byte
    mempool.insert(fakeEntry(3, 50n, 300)); // 0.166 / byte
    expect(mempool.bytes).toBe(1_000);
    mempool.insert(fakeEntry(4, 90n, 300)); // 0.3 / byte: evicts #3 only
    expect(mempool.pending(10).map((e) => e.fee)).toEqual([60n, 90n, 100n]);
    expect(mempool.bytes).toBe(1_000);
    expect(() => mempool.insert(fakeEntry(5, 1_000n, 1_001))).toThrow(/MEMPOOL_FULL/);
  });

  it('selects by fee rate within a byte budget', () => {
    const mempool = new Mempool();
    mempool.insert(fakeEntry(1, 100n, 400));
    mempool.insert(fakeEntry(2, 90n, 100));
    mempool.insert(fakeEntry(3, 10n, 100));
    expect(mempool.selectForBlock(250).map((e) => e.fee)).toEqual([90n, 10n]);
    expect(mempool.selectForBlock(10_000, 2).map((e) => e.fee)).toEqual([90n, 100n]);
  });

  it('evicts what a block confirms and what it conflicts with', async () => {
    const chain = freshChain(genesis);
    const mempool = new Mempool();
    const ctx = { validator, utxos: chain, genesis };
    const a = spendGenesis(genesis, 0);
    const b = spendGenesis(genesis, 1);
    const c = spendGenesis(genesis, 2);
    await mempool.addTransactions([a.tx, b.tx, c.tx].map(encodeTransactionData), ctx);
    // The block confirms a, and a different spend of c's input.
    const rival = spendGenesis(genesis, 2, { to: 5 });
    const built = childBlock(genesis, chain.getTip(), [
      { tx: a.tx, fee: 10n },
      { tx: rival.tx, fee: 10n },
    ]);
    const { plan } = await validateBlock({
      bytes: built.bytes,
      validator,
      view: chain,
      genesis,
      nowMs: built.nowMs,
    });
    chain.applyPlan(plan);
    expect(mempool.removeForBlock(plan)).toBe(2);
    expect(mempool.pending(10).map((e) => toHex(e.txid))).toEqual([toHex(b.txid)]);
    expect(mempool.spenderOf({ txid: genesisOutpoint(genesis, 1).prevTxid, vout: 1 })).toEqual(b.txid);
  });

  it('property: never exceeds its bounds and pending() is sorted by fee rate', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ fee: fc.bigInt({ min: 0n, max: 10_000n }), size: fc.integer({ min: 100, max: 900 }) }),
          {
            maxLength: 60,
          },
        ),
        (items) => {
          const mempool = new Mempool({ maxCount: 10, maxBytes: 3_000 });
          items.forEach((it, i) => {
            try {
              mempool.insert(fakeEntry(i, it.fee, it.size));
            } catch (err) {
              expect(err).toBeInstanceOf(MempoolError);
            }
            expect(mempool.count).toBeLessThanOrEqual(10);
            expect(mempool.bytes).toBeLessThanOrEqual(3_000);
          });
          const pending = mempool.pending(100);
          for (let i = 1; i < pending.length; i++) {
            const a = pending[i - 1]!;
            const b = pending[i]!;
            expect(a.fee * BigInt(b.size) >= b.fee * BigInt(a.size)).toBe(true);
          }
          expect(pending.reduce((s, e) => s + e.size, 0)).toBe(mempool.bytes);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('SeenFilter', () => {
  it('remembers ids up to its capacity and forgets the oldest first', () => {
    const seen = new SeenFilter(3);
    expect(seen.add('a')).toBe(true);
    expect(seen.add('a')).toBe(false);
    seen.add(new Uint8Array([1]));
    seen.add('c');
    expect(seen.has('01')).toBe(true);
    seen.add('d');
    expect(seen.size).toBe(3);
    expect(seen.has('a')).toBe(false);
    expect(seen.has('d')).toBe(true);
    for (let i = 0; i < 1_000; i++) seen.add(`x${i}`);
    expect(seen.size).toBe(3);
  });

  it('an id deleted and added again is kept by its new place, not evicted by its old one', () => {
    const seen = new SeenFilter(3);
    seen.add('a');
    seen.add('b');
    seen.delete('a');
    seen.add('c');
    seen.add('a'); // now the newest: the ring holds a(stale), b, c, then a overwrote the stale slot
    expect([seen.has('a'), seen.has('b'), seen.has('c')]).toEqual([true, true, true]);
    seen.add('d'); // pushes out the oldest live id, b
    expect([seen.has('a'), seen.has('b'), seen.has('c'), seen.has('d')]).toEqual([true, false, true, true]);
    expect(seen.size).toBe(3);
  });

  it('stays exact FIFO through many rounds at capacity', () => {
    const seen = new SeenFilter(100);
    for (let i = 0; i < 10_000; i++) seen.add(`k${i}`);
    expect(seen.size).toBe(100);
    expect(seen.has('k9899')).toBe(false);
    expect(seen.has('k9900')).toBe(true);
    expect(seen.has('k9999')).toBe(true);
  });
});
