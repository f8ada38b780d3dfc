import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { heightKey, readHeightKey } from '../src/bytes.js';
import {
  decodeHeaderEntry,
  decodeOutpointKey,
  decodeTip,
  decodeTxLocation,
  decodeUndo,
  decodeUtxo,
  encodeHeaderEntry,
  encodeTip,
  encodeTxLocation,
  encodeUndo,
  encodeUtxo,
  outpointKey,
} from '../src/records.js';

const hash = fc.uint8Array({ minLength: 32, maxLength: 32 });
const height = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const bytes = fc.uint8Array({ maxLength: 80 });
const plain = (b: Uint8Array) => Array.from(b);

describe('record codecs', () => {
  it('round-trip UTXO values exactly', () => {
    fc.assert(
      fc.property(u64, height, bytes, (value, h, recipient) => {
        const decoded = decodeUtxo(encodeUtxo({ value, height: h, recipient }));
        expect(decoded.value).toBe(value);
        expect(decoded.height).toBe(h);
        expect(plain(decoded.recipient)).toEqual(plain(recipient));
      }),
    );
  });

  it('round-trip outpoint keys, tx locations, header entries and tips', () => {
    fc.assert(
      fc.property(hash, u32, height, bytes, (txid, vout, h, header) => {
        const op = decodeOutpointKey(outpointKey({ txid, vout }));
        expect([plain(op.txid), op.vout]).toEqual([plain(txid), vout]);
        const loc = decodeTxLocation(encodeTxLocation({ blockHash: txid, height: h, index: vout }));
        expect([plain(loc.blockHash), loc.height, loc.index]).toEqual([plain(txid), h, vout]);
        const entry = decodeHeaderEntry(encodeHeaderEntry(h, header));
        expect([entry.height, plain(entry.headerBytes)]).toEqual([h, plain(header)]);
        const tip = decodeTip(encodeTip({ height: h, hash: txid }));
        expect([tip.height, plain(tip.hash)]).toEqual([h, plain(txid)]);
        expect(readHeightKey(heightKey(h))).toBe(h);
      }),
    );
  });

  it('height keys sort like heights', () => {
    fc.assert(
      fc.property(height, height, (a, b) => {
        const cmp = Buffer.compare(Buffer.from(heightKey(a)), Buffer.from(heightKey(b)));
        expect(Math.sign(cmp)).toBe(Math.sign(a - b));
      }),
    );
  });

  it('round-trip undo records and refuse truncated or padded ones', () => {
    const spent = fc.record({ key: fc.uint8Array({ minLength: 36, maxLength: 36 }), value: bytes });
    const tx = fc.record({ txid: hash, outputCount: u32, spent: fc.array(spent, { maxLength: 4 }) });
    fc.assert(
      fc.property(fc.array(tx, { maxLength: 6 }), (txs) => {
        const encoded = encodeUndo(txs);
        const decoded = decodeUndo(encoded);
        expect(
          decoded.map((t) => [
            plain(t.txid),
            t.outputCount,
            t.spent.map((s) => [plain(s.key), plain(s.value)]),
          ]),
        ).toEqual(
          txs.map((t) => [plain(t.txid), t.outputCount, t.spent.map((s) => [plain(s.key), plain(s.value)])]),
        );
        expect(() => decodeUndo(Uint8Array.from([...encoded, 0]))).toThrow();
        if (encoded.length > 4) expect(() => decodeUndo(encoded.subarray(0, encoded.length - 1))).toThrow();
      }),
    );
  });
});
