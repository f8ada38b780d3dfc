import { createHash, createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { blake3 as nativeBlake3 } from '@napi-rs/blake-hash';
import fc from 'fast-check';
import { blake3 as wasmBlake3 } from 'hash-wasm';
import { describe, expect, it } from 'vitest';
import {
  addressOf,
  blake3With,
  decodeTransactionData,
  encodeTransactionData,
  fromHex,
  HEADER_BYTES,
  headerBytes,
  headerHash,
  inputSigningMessage,
  keyPairFromSeed,
  merkleRoot,
  producerSigningMessage,
  toHex,
  txCanonicalBytes,
  txid,
  txSize,
  verifySignature,
} from '../src/internal.js';

const load = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`./vectors/${name}`, import.meta.url), 'utf8')) as T;

interface HeaderVector {
  header: {
    version: number;
    height: number;
    prevHash: string;
    merkleRoot: string;
    timestampMs: number;
    producerPublicKey: string;
    leaderAttempt: number;
  };
  canonicalBytes: string;
  hash: string;
}
interface TxVector {
  tx: {
    version: number;
    nonce: string;
    inputs: { prevTxid: string; vout: number; publicKey: string; signature: string }[];
    outputs: { value: string; recipient: string }[];
  };
  canonicalBytes: string;
  txid: string;
  size: number;
}

// ---- An independent implementation of the README layouts, written with Buffer primitives.
function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}
function u64(n: bigint | number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
}
const hx = (s: string) => Buffer.from(s, 'hex');
const sha = (b: Buffer) => createHash('sha256').update(b).digest();

function refHeader(h: HeaderVector['header']): Buffer {
  return Buffer.concat([
    u32(h.version),
    u64(h.height),
    hx(h.prevHash),
    hx(h.merkleRoot),
    u64(h.timestampMs),
    hx(h.producerPublicKey),
    u32(h.leaderAttempt),
  ]);
}
function refTx(t: TxVector['tx']): Buffer {
  return Buffer.concat([
    Buffer.from('tc/tx/v1', 'ascii'),
    u32(t.version),
    u64(BigInt(t.nonce)),
    u32(t.inputs.length),
    ...t.inputs.flatMap((i) => [hx(i.prevTxid), u32(i.vout), hx(i.publicKey)]),
    u32(t.outputs.length),
    ...t.outputs.flatMap((o) => [u64(BigInt(o.value)), hx(o.recipient)]),
  ]);
}
function refMerkle(ids: Buffer[]): Buffer {
  let level = ids;
  while (level.length > 1) {
    if (level.length % 2 === 1) level = [...level, level[level.length - 1]!];
    const next: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(sha(Buffer.concat([level[i]!, level[i + 1]!])));
    level = next;
  }
  return level[0]!;
}

const toHeader = (h: HeaderVector['header']) => ({
  ...h,
  prevHash: fromHex(h.prevHash),
  merkleRoot: fromHex(h.merkleRoot),
  producerPublicKey: fromHex(h.producerPublicKey),
});
const toTx = (t: TxVector['tx']) => ({
  version: t.version,
  nonce: BigInt(t.nonce),
  inputs: t.inputs.map((i) => ({
    prevTxid: fromHex(i.prevTxid),
    vout: i.vout,
    publicKey: fromHex(i.publicKey),
    signature: fromHex(i.signature),
  })),
  outputs: t.outputs.map((o) => ({ value: BigInt(o.value), recipient: fromHex(o.recipient) })),
});

describe('test vectors', () => {
  const headers = load<HeaderVector[]>('header-hash.json');
  const txs = load<TxVector[]>('txid.json');
  const merkle = load<{ txids: string[]; root: string }[]>('merkle-root.json');

  it('header hash: 120-byte layout and BLAKE3, native and WASM', async () => {
    expect(headers.length).toBeGreaterThanOrEqual(3);
    for (const v of headers) {
      const ref = refHeader(v.header);
      expect(ref.length).toBe(HEADER_BYTES);
      expect(ref.toString('hex')).toBe(v.canonicalBytes);
      expect(toHex(headerBytes(toHeader(v.header)))).toBe(v.canonicalBytes);
      expect(toHex(headerHash(toHeader(v.header)))).toBe(v.hash);
      expect(nativeBlake3(ref).toString('hex')).toBe(v.hash);
      expect(await wasmBlake3(ref)).toBe(v.hash);
    }
  });

  it('txid: canonical bytes without signatures, SHA-256', () => {
    for (const v of txs) {
      const ref = refTx(v.tx);
      expect(ref.toString('hex')).toBe(v.canonicalBytes);
      expect(toHex(txCanonicalBytes(toTx(v.tx)))).toBe(v.canonicalBytes);
      expect(sha(ref).toString('hex')).toBe(v.txid);
      expect(toHex(txid(toTx(v.tx)))).toBe(v.txid);
      expect(txSize(toTx(v.tx))).toBe(v.size);
      expect(v.size).toBe(ref.length + 64 * v.tx.inputs.length);
    }
  });

  it('merkle root for 1, 2, 3, 4 and 5 leaves', () => {
    expect(merkle.map((m) => m.txids.length)).toEqual([1, 2, 3, 4, 5]);
    for (const v of merkle) {
      expect(refMerkle(v.txids.map(hx)).toString('hex')).toBe(v.root);
      expect(toHex(merkleRoot(v.txids.map((t) => fromHex(t))))).toBe(v.root);
    }
    expect(merkle[0]!.root).toBe(merkle[0]!.txids[0]);
  });

  it('signature messages, keys and Ed25519 signatures', () => {
    const v = load<{
      seed: string;
      publicKey: string;
      address: string;
      input: { networkId: string; txid: string; inputIndex: number; message: string; signature: string };
      block: { networkId: string; headerHash: string; message: string; signature: string };
    }>('signatures.json');
    const keys = keyPairFromSeed(fromHex(v.seed));
    expect(toHex(keys.publicKey)).toBe(v.publicKey);
    expect(toHex(addressOf(keys.publicKey))).toBe(v.address);
    const net = Buffer.from(v.input.networkId, 'utf8');
    const refInput = Buffer.concat([
      Buffer.from('tc/txin/v1'),
      Buffer.from([net.length]),
      net,
      hx(v.input.txid),
      u32(v.input.inputIndex),
    ]);
    expect(refInput.toString('hex')).toBe(v.input.message);
    expect(toHex(inputSigningMessage(v.input.networkId, fromHex(v.input.txid), v.input.inputIndex))).toBe(
      v.input.message,
    );
    const refBlock = Buffer.concat([
      Buffer.from('tc/block/v1'),
      Buffer.from([net.length]),
      net,
      hx(v.block.headerHash),
    ]);
    expect(refBlock.toString('hex')).toBe(v.block.message);
    expect(toHex(producerSigningMessage(v.block.networkId, fromHex(v.block.headerHash)))).toBe(
      v.block.message,
    );
    const spki = createPublicKey({
      key: Buffer.concat([hx('302a300506032b6570032100'), hx(v.publicKey)]),
      format: 'der',
      type: 'spki',
    });
    expect(cryptoVerify(null, refInput, spki, hx(v.input.signature))).toBe(true);
    expect(verifySignature(keys.publicKey, refBlock, fromHex(v.block.signature))).toBe(true);
  });

  it('signature validity: tc refuses small-order keys and R, and a non-canonical S', () => {
    const cases =
      load<
        {
          case: string;
          publicKey: string;
          message: string;
          signature: string;
          valid: boolean;
          acceptedByOpenssl: boolean;
        }[]
      >('signature-validity.json');
    expect(cases.filter((c) => c.valid !== c.acceptedByOpenssl).length).toBeGreaterThanOrEqual(2);
    for (const c of cases) {
      expect([
        c.case,
        verifySignature(fromHex(c.publicKey), fromHex(c.message), fromHex(c.signature)),
      ]).toEqual([c.case, c.valid]);
      // The disagreements are real: a plain RFC 8032 verifier accepts them.
      const spki = createPublicKey({
        key: Buffer.concat([hx('302a300506032b6570032100'), hx(c.publicKey)]),
        format: 'der',
        type: 'spki',
      });
      expect([c.case, cryptoVerify(null, hx(c.message), spki, hx(c.signature))]).toEqual([
        c.case,
        c.acceptedByOpenssl,
      ]);
    }
  });
});

describe('BLAKE3 backends', () => {
  it('native and WASM agree with the reference digest of "abc" and on random inputs', async () => {
    const abc = new TextEncoder().encode('abc');
    const expected = '6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85';
    expect(toHex(await blake3With('native', abc))).toBe(expected);
    expect(toHex(await blake3With('wasm', abc))).toBe(expected);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 3000 }), async (bytes) => {
        expect(toHex(await blake3With('wasm', bytes))).toBe(toHex(await blake3With('native', bytes)));
      }),
      { numRuns: 200 },
    );
  });
});

describe('canonical bytes properties', () => {
  const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
  const tx = fc.record({
    version: fc.constant(1),
    nonce: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    inputs: fc.array(
      fc.record({
        prevTxid: bytes32,
        vout: fc.nat({ max: 0xffffffff }),
        publicKey: bytes32,
        signature: fc.uint8Array({ minLength: 64, maxLength: 64 }),
      }),
      { maxLength: 4 },
    ),
    outputs: fc.array(
      fc.record({ value: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), recipient: bytes32 }),
      {
        maxLength: 4,
      },
    ),
  });

  it('txid survives a protobuf round trip and ignores signatures', () => {
    fc.assert(
      fc.property(tx, (t) => {
        const id = toHex(txid(t));
        expect(toHex(txid(decodeTransactionData(encodeTransactionData(t))))).toBe(id);
        const resigned = {
          ...t,
          inputs: t.inputs.map((i) => ({ ...i, signature: new Uint8Array(64).fill(9) })),
        };
        expect(toHex(txid(resigned))).toBe(id);
        expect(txCanonicalBytes(t).length).toBe(28 + 68 * t.inputs.length + 40 * t.outputs.length);
      }),
      { numRuns: 200 },
    );
  });

  it('merkle root changes when any txid changes, and matches the reference', () => {
    fc.assert(
      fc.property(fc.array(bytes32, { minLength: 1, maxLength: 17 }), fc.nat(), (ids, pick) => {
        const root = merkleRoot(ids);
        expect(toHex(root)).toBe(refMerkle(ids.map((i) => Buffer.from(i))).toString('hex'));
        const i = pick % ids.length;
        const changed = ids.slice();
        const flipped = new Uint8Array(ids[i]!);
        flipped[0]! ^= 1;
        changed[i] = flipped;
        expect(toHex(merkleRoot(changed))).not.toBe(toHex(root));
      }),
      { numRuns: 200 },
    );
  });
});
