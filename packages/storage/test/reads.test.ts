import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChainStore, openChainStore } from '../src/index.js';
import { hex, NETWORK_ID, SyntheticChain } from './fixtures/synthetic-chain.mjs';
import { commitUpTo, storeUtxos, TempDirs, thrown } from './helpers.js';

const temp = new TempDirs();
const chain = new SyntheticChain({ seed: 11 });
let store: ChainStore;

beforeAll(async () => {
  store = await openChainStore({
    path: temp.make(),
    networkId: NETWORK_ID,
    genesisHash: chain.genesisHash,
    limits: { maxRangeCount: 50, maxRangeBytes: 4_000 },
  });
  commitUpTo(store, chain, 40);
});
afterAll(async () => {
  await store.close();
  temp.cleanup();
});

describe('reads', () => {
  it('an empty store has no tip', async () => {
    const c = new SyntheticChain({ seed: 12 });
    const s = await openChainStore({ path: temp.make(), networkId: NETWORK_ID, genesisHash: c.genesisHash });
    expect(s.getTip()).toBeUndefined();
    expect(s.getBlockHash(0)).toBeUndefined();
    expect(s.getHeaders(0, 10)).toEqual([]);
    await s.close();
  });

  it('reads blocks by hash and by height, decoded or as bytes', () => {
    const b = chain.at(17);
    expect(hex(store.getBlockBytesAt(17)!)).toBe(hex(b.blockBytes));
    expect(store.getBlock(b.hash)?.txs.length).toBe(b.txs.length);
    expect(String(store.getBlockAt(17)?.header?.height)).toBe('17');
    expect(store.getBlockAt(41)).toBeUndefined();
    expect(store.getBlock(new Uint8Array(32))).toBeUndefined();
    expect(store.getBlockHash(-1)).toBeUndefined();
    expect(store.getBlockHeight(new Uint8Array(32))).toBeUndefined();
  });

  it('reads a range of headers without the blocks, and stops at the tip', () => {
    const headers = store.getHeaders(35, 10);
    expect(headers.map((h) => h.height)).toEqual([35, 36, 37, 38, 39, 40]);
    for (const h of headers) {
      expect(hex(h.hash)).toBe(hex(chain.at(h.height).hash));
      expect(hex(h.headerBytes)).toBe(hex(chain.at(h.height).headerBytes));
    }
    expect(store.getHeaders(41, 5)).toEqual([]);
    expect(store.getHeaders(0, 0)).toEqual([]);
  });

  it('reads a range of blocks, bounded by count and by bytes', () => {
    const blocks = store.getBlocks(0, 50);
    expect(blocks.length).toBeGreaterThan(0);
    const bytes = blocks.reduce((n, b) => n + b.blockBytes.byteLength, 0);
    expect(bytes).toBeLessThanOrEqual(4_000);
    blocks.forEach((b, i) => {
      expect(b.height).toBe(i);
      expect(hex(b.blockBytes)).toBe(hex(chain.at(i).blockBytes));
    });
    expect(thrown(() => store.getBlocks(0, 51))).toBeInstanceOf(RangeError);
    expect(thrown(() => store.getHeaders(-1, 1))).toBeInstanceOf(RangeError);
  });

  it('looks up UTXOs singly and in batches', () => {
    const utxos = storeUtxos(store);
    const keys = [...utxos.keys()].slice(0, 20);
    const outpoints = keys.map((k) => {
      const [txid, vout] = k.split(':');
      return { txid: Buffer.from(txid!, 'hex'), vout: Number(vout) };
    });
    const missing = { txid: new Uint8Array(32).fill(1), vout: 0 };
    const batch = store.getUtxos([...outpoints, missing]);
    expect(batch.length).toBe(21);
    expect(batch[20]).toBeUndefined();
    outpoints.forEach((op, i) => {
      const one = store.getUtxo(op)!;
      expect(batch[i]).toEqual(one);
      expect(`${one.value}:${hex(one.recipient)}:${one.height}`).toBe(utxos.get(keys[i]!));
    });
  });

  it('iterates the UTXO set with values that stay valid after iteration', () => {
    const collected: [string, { value: bigint; recipient: Uint8Array; height: number }][] = [];
    const n = store.forEachUtxo((op, utxo) => collected.push([`${hex(op.txid)}:${op.vout}`, utxo]));
    expect(collected.length).toBe(n);
    const expected = storeUtxos(store);
    for (const [key, u] of collected)
      expect(`${u.value}:${hex(u.recipient)}:${u.height}`).toBe(expected.get(key));
  });

  it('finds a transaction by id, with its location', () => {
    const b = chain.at(23);
    const found = store.getTransaction(b.txs[2]!.txid)!;
    expect(found.location).toEqual({ blockHash: Buffer.from(b.hash), height: 23, index: 2 });
    expect(found.tx.inputs?.length).toBe(b.txs[2]!.spends.length);
    expect(store.getTransaction(new Uint8Array(32))).toBeUndefined();
  });

  it('getBlockUndo returns the outputs each block spent, in spend order, with their pre-spend values', () => {
    // Replay the chain, recording for each block what its spends consumed.
    const utxos = new Map<string, string>();
    let spentTotal = 0;
    for (let h = 0; h <= 40; h++) {
      const input = chain.at(h);
      const expected: string[] = [];
      for (const tx of input.txs) {
        for (const op of tx.spends) {
          const key = `${hex(op.txid)}:${op.vout}`;
          expected.push(`${key}=${utxos.get(key)}`);
          utxos.delete(key);
        }
        tx.outputs.forEach((out, vout) => {
          utxos.set(`${hex(tx.txid)}:${vout}`, `${out.value}:${hex(out.recipient)}:${h}`);
        });
      }
      const undo = store.getBlockUndo(input.hash)!;
      const found = undo.map(
        ({ outpoint, output }) =>
          `${hex(outpoint.txid)}:${outpoint.vout}=${output.value}:${hex(output.recipient)}:${output.height}`,
      );
      expect(found, `block ${h}`).toEqual(expected);
      spentTotal += found.length;
    }
    expect(spentTotal).toBeGreaterThan(40);
    expect(store.getBlockUndo(new Uint8Array(32))).toBeUndefined();
  });
});
