import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import {
  encodeBlockData,
  encodeTransactionData,
  SignatureCache,
  StatelessValidationError,
  sigCacheKey,
  statelessParams,
  toHex,
  txid,
  ValidationPool,
} from '../src/internal.js';
import { childBlock, freshChain, makeGenesis, spendGenesis, WORKER } from './helpers.js';

const genesis = makeGenesis();
const params = statelessParams(genesis);

describe('signature cache (real worker threads sharing one table)', () => {
  const registry = new Registry();
  const pool = new ValidationPool({ threads: 2, workerFilename: WORKER, registry });
  afterAll(async () => {
    await pool.destroy();
  });

  const hitsAndMisses = async () => {
    const text = await registry.getSingleMetricAsString('tc_consensus_sig_cache_total');
    const read = (r: string) => Number(text.match(new RegExp(`result="${r}"} (\\d+)`))?.[1] ?? 0);
    return { hits: read('hit'), misses: read('miss') };
  };

  it('a block skips the signatures the mempool path verified, and verifies the rest', async () => {
    const chain = freshChain(genesis);
    const txs = [0, 1, 2, 3].map((i) => spendGenesis(genesis, i).tx);
    // Admission of three of them (split over both workers: the table is shared).
    const admitted = await pool.validateTransactions(txs.slice(0, 3).map(encodeTransactionData), params);
    expect(admitted.every((r) => r.ok)).toBe(true);
    const built = childBlock(
      genesis,
      chain.getTip(),
      txs.map((tx) => ({ tx, fee: 10n })),
    );
    const before = await hitsAndMisses();
    const r = await pool.validateBlock(built.bytes, params);
    expect(r.sigCache).toEqual({ hits: 3, misses: 1 });
    const after = await hitsAndMisses();
    expect(after.hits - before.hits).toBe(3);
    expect(after.misses - before.misses).toBe(1);
    // The block's own verification filled in the fourth: validating it again verifies nothing.
    expect((await pool.validateBlock(built.bytes, params)).sigCache).toEqual({ hits: 4, misses: 0 });
  });

  it('never vouches for other signatures over the same txid', async () => {
    const chain = freshChain(genesis);
    const tx = spendGenesis(genesis, 5).tx;
    expect((await pool.validateTransactions([encodeTransactionData(tx)], params))[0]!.ok).toBe(true);
    const sig = new Uint8Array(tx.inputs[0]!.signature);
    sig[7]! ^= 1;
    const forged = { ...tx, inputs: [{ ...tx.inputs[0]!, signature: sig }] };
    expect(toHex(txid(forged))).toBe(toHex(txid(tx))); // the txid does not cover signatures
    const built = childBlock(genesis, chain.getTip(), [{ tx, fee: 10n }]);
    const bad = { ...built.block, txs: [built.block.txs[0]!, forged] };
    const err = await pool.validateBlock(encodeBlockData(bad), params).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StatelessValidationError);
    expect((err as StatelessValidationError).code).toBe('BAD_TX_SIGNATURE');
  });

  it('keys bind the network, the txid and every signature (test vector)', () => {
    const tx = spendGenesis(genesis, 0).tx;
    const id = txid(tx);
    const key = sigCacheKey(genesis.networkId, id, tx);
    expect(key).toHaveLength(32);
    expect(toHex(sigCacheKey('other-net', id, tx))).not.toBe(toHex(key));
    const cache = new SignatureCache(new ArrayBuffer(32 * 8));
    expect(cache.has(key)).toBe(false);
    cache.add(key);
    expect(cache.has(key)).toBe(true);
    // A key in the same slot replaces it (direct-mapped, bounded).
    const other = new Uint8Array(key);
    other[31]! ^= 0xff;
    cache.add(other);
    expect(cache.has(other)).toBe(true);
    expect(cache.has(key)).toBe(false);
  });

  it('pins the key bytes: SHA-256("tc/sigcache/v1" ‖ u8 len ‖ network ‖ txid ‖ signatures)', () => {
    const txidBytes = new Uint8Array(32).fill(0x11);
    const tx = {
      version: 1,
      nonce: 0n,
      inputs: [
        {
          prevTxid: new Uint8Array(32),
          vout: 0,
          publicKey: new Uint8Array(32),
          signature: new Uint8Array(64).fill(0x22),
        },
      ],
      outputs: [],
    };
    expect(toHex(sigCacheKey('tc-test', txidBytes, tx))).toBe(VECTOR);
  });
});

// Computed independently (Python hashlib) from the definition in the README.
const VECTOR = 'ea55385c1d9defe9fa4db4d7055885b136dacf5fc9aef81b4c3a6c1e867525c6';
