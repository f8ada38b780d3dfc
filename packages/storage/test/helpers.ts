import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { expect } from 'vitest';
import { type ChainStore, type OpenChainStoreOptions, openChainStore } from '../src/index.js';
import { TABLES } from '../src/kv-engine.js';
import { hex, NETWORK_ID, type SyntheticChain } from './fixtures/synthetic-chain.mjs';

/** Temp directories made by a test file; remove them in afterEach/afterAll with `cleanup()`. */
export class TempDirs {
  private readonly dirs: string[] = [];

  make(prefix = 'tc-storage-'): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    this.dirs.push(dir);
    return dir;
  }

  cleanup(): void {
    for (const dir of this.dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  }
}

export async function openTestStore(
  path: string,
  chain: SyntheticChain,
  extra: Partial<OpenChainStoreOptions> = {},
): Promise<ChainStore> {
  return openChainStore({ path, networkId: NETWORK_ID, genesisHash: chain.genesisHash, ...extra });
}

/** Commits chain blocks from the store's next height up to `height`. */
export function commitUpTo(store: ChainStore, chain: SyntheticChain, height: number): void {
  const from = (store.getTip()?.height ?? -1) + 1;
  for (let h = from; h <= height; h++) store.commitBlock(chain.at(h));
}

/** The store's UTXO set in the format of `replayUtxos`. */
export function storeUtxos(store: ChainStore): Map<string, string> {
  const out = new Map<string, string>();
  store.forEachUtxo((op, utxo) => {
    out.set(`${hex(op.txid)}:${op.vout}`, `${utxo.value}:${hex(utxo.recipient)}:${utxo.height}`);
  });
  return out;
}

/**
 * Every table of a closed store, raw, through lmdb itself: table → (key hex → value hex).
 * Used to check byte-identical state; the store must be closed first.
 */
export async function dumpTables(path: string): Promise<Record<string, Record<string, string>>> {
  const root = open({ path, maxDbs: TABLES.length + 2 });
  try {
    const out: Record<string, Record<string, string>> = {};
    for (const name of TABLES) {
      const db = root.openDB<Buffer, Buffer>({ name, keyEncoding: 'binary', encoding: 'binary' });
      const entries: Record<string, string> = {};
      for (const { key, value } of db.getRange({})) entries[hex(key)] = hex(value);
      out[name] = entries;
    }
    return out;
  } finally {
    await root.close();
  }
}

/** Runs `fn` and returns what it threw (fails if it did not throw). */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

export async function rejected(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/**
 * Asserts that the address index equals a scan of the UTXO set: every recipient's
 * `getUtxosByRecipient` answer is exactly its UTXOs (outpoint order, same values), `getBalance`
 * is their sum, and the index holds no other entry (`stats().addrIndex === stats().utxos`).
 * Returns the number of distinct recipients.
 */
export function expectIndexMatchesScan(store: ChainStore): number {
  const byRecipient = new Map<string, { recipient: Uint8Array; entries: string[]; sum: bigint }>();
  store.forEachUtxo((op, utxo) => {
    const key = hex(utxo.recipient);
    let group = byRecipient.get(key);
    if (group === undefined) {
      group = { recipient: utxo.recipient, entries: [], sum: 0n };
      byRecipient.set(key, group);
    }
    group.entries.push(`${hex(op.txid)}:${op.vout}:${utxo.value}:${utxo.height}`);
    group.sum += utxo.value;
  });
  for (const [key, group] of byRecipient) {
    const found = store
      .getUtxosByRecipient(group.recipient, store.limits.maxBatchLookups)
      .map(({ outpoint, output }) => {
        expect(hex(output.recipient)).toBe(key);
        return `${hex(outpoint.txid)}:${outpoint.vout}:${output.value}:${output.height}`;
      });
    expect(found, `index of recipient ${key}`).toEqual(group.entries);
    expect(store.getBalance(group.recipient)).toBe(group.sum);
  }
  const stats = store.stats();
  expect(stats.addrIndex).toBe(stats.utxos);
  return byRecipient.size;
}
