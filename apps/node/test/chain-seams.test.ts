import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  addressOf,
  decodeTransactionData,
  genesisHash,
  inputSigningMessage,
  toHex,
  txid,
  verifySignature,
} from '@tc/consensus';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  addressOfPublicKey,
  buildSignedTransaction,
  createDevnetGenesis,
  generateNodeKey,
  type RpcClient,
  readGenesisFile,
  selectUtxos,
  TxBuildError,
  type UnspentOutput,
} from '../src/internal.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tc-seams-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const utxo = (value: number, vout = 0): UnspentOutput => ({
  txid: String(vout % 10).repeat(64),
  vout,
  value: String(value),
  height: 1,
});

describe('devnet genesis', () => {
  it('funds every validator address in 16 outputs and reads back through resolveGenesisConfig', () => {
    const keys = [generateNodeKey(), generateNodeKey()];
    const g = createDevnetGenesis({ validators: keys.map((k) => toHex(k.publicKey)), slotMs: 250 });
    expect(g.allocations).toHaveLength(32);
    for (const k of keys) {
      const mine = (g.allocations ?? []).filter((a) => a.recipient === addressOfPublicKey(k.publicKey));
      expect(mine).toHaveLength(16);
      expect(mine.reduce((s, a) => s + BigInt(a.value), 0n)).toBe(1_000_000_000n);
    }
    const file = join(dir, 'genesis.json');
    writeFileSync(file, JSON.stringify(g));
    const config = readGenesisFile(file);
    expect(config.slotMs).toBe(250);
    expect(config.validators.map(toHex)).toEqual(keys.map((k) => toHex(k.publicKey)));
    expect(toHex(genesisHash(config))).toMatch(/^[0-9a-f]{64}$/);
  });

  it('a bad key or a bad file is a RangeError naming the file', () => {
    expect(() => createDevnetGenesis({ validators: ['xyz'] })).toThrow(RangeError);
    const file = join(dir, 'g.json');
    writeFileSync(
      file,
      JSON.stringify({ networkId: 'n', validators: ['00'], blockReward: 1, timestampMs: 0 }),
    );
    expect(() => readGenesisFile(file)).toThrow(new RegExp(`^${file}: `));
    writeFileSync(file, '{');
    expect(() => readGenesisFile(file)).toThrow(/not a genesis file|JSON/);
    expect(() => readGenesisFile(join(dir, 'missing.json'))).toThrow(/ENOENT/);
  });
});

describe('buildSignedTransaction', () => {
  it('selects the largest outputs first and reports what does not add up', () => {
    const picked = selectUtxos([utxo(5, 1), utxo(50, 2), utxo(20, 3)], 60n);
    expect(picked?.chosen.map((u) => u.vout)).toEqual([2, 3]);
    expect(picked?.total).toBe(70n);
    expect(selectUtxos([utxo(5)], 6n)).toBeUndefined();
    expect(() => selectUtxos([utxo(1, 1), utxo(1, 2), utxo(1, 3)], 3n, 2)).toThrow(TxBuildError);
  });

  it('pays the recipient, returns the change, and signs every input for the network', async () => {
    const from = generateNodeKey();
    const calls: string[] = [];
    const rpc = {
      call: async (method: string) => {
        calls.push(method);
        if (method === 'getblockchaininfo') return { network: 'tc-test' };
        return [utxo(30, 1), utxo(100, 2), utxo(40, 3)];
      },
    } as unknown as RpcClient;
    const to = 'ab'.repeat(32);
    const signed = await buildSignedTransaction({ from, to, amount: 120n, fee: 5n, rpc });
    expect(calls.sort()).toEqual(['getblockchaininfo', 'listunspent']);
    const tx = decodeTransactionData(Buffer.from(signed.hex, 'hex'));
    expect(toHex(txid(tx))).toBe(signed.txid);
    expect(tx.inputs.map((i) => i.vout)).toEqual([2, 3]);
    expect(tx.outputs.map((o) => [toHex(o.recipient), o.value])).toEqual([
      [to, 120n],
      [toHex(addressOf(from.publicKey)), 15n],
    ]);
    for (const input of tx.inputs) {
      expect(toHex(input.publicKey)).toBe(toHex(from.publicKey));
      expect(input.signature).toHaveLength(64);
    }
    // The signature covers the network id: it verifies against "tc-test"'s signing message only.
    const msg = inputSigningMessage('tc-test', txid(tx), 0);
    expect(verifySignature(from.publicKey, msg, tx.inputs[0]?.signature as Uint8Array)).toBe(true);
    expect(
      verifySignature(
        from.publicKey,
        inputSigningMessage('other', txid(tx), 0),
        tx.inputs[0]?.signature as Uint8Array,
      ),
    ).toBe(false);

    await expect(buildSignedTransaction({ from, to, amount: 1000n, fee: 0n, rpc })).rejects.toMatchObject({
      code: 'INSUFFICIENT_FUNDS',
    });
    await expect(buildSignedTransaction({ from, to, amount: 0n, fee: 0n, rpc })).rejects.toMatchObject({
      code: 'BAD_AMOUNT',
    });
  });
});
