import { ByteReader, ByteWriter, HASH_BYTES } from './bytes.js';
import type { ChainTip, Outpoint, TxLocation, Utxo } from './types.js';

/** `utxos` key: txid (32) ‖ vout (u32 BE). Big-endian so one transaction's outputs are adjacent. */
export const OUTPOINT_KEY_BYTES = HASH_BYTES + 4;

export function outpointKey(outpoint: Outpoint): Uint8Array {
  const key = Buffer.allocUnsafe(OUTPOINT_KEY_BYTES);
  key.set(outpoint.txid, 0);
  key.writeUInt32BE(outpoint.vout, HASH_BYTES);
  return key;
}

const scratchKey = Buffer.alloc(OUTPOINT_KEY_BYTES);

/**
 * `outpointKey` into one shared buffer, for lookups only: valid until the next call. Engines copy
 * keys synchronously, so a key used for one `get` needs no allocation of its own.
 */
export function outpointLookupKey(outpoint: Outpoint): Uint8Array {
  scratchKey.set(outpoint.txid, 0);
  scratchKey.writeUInt32BE(outpoint.vout, HASH_BYTES);
  return scratchKey;
}

export function decodeOutpointKey(key: Uint8Array): Outpoint {
  const view = new DataView(key.buffer, key.byteOffset, key.byteLength);
  return { txid: key.slice(0, HASH_BYTES), vout: view.getUint32(HASH_BYTES, false) };
}

/** `utxos` value: value (u64 LE) ‖ height (u64 LE) ‖ recipient (rest). */
export function encodeUtxo(utxo: Utxo): Uint8Array {
  const out = Buffer.allocUnsafe(16 + utxo.recipient.byteLength);
  out.writeBigUInt64LE(utxo.value, 0);
  out.writeUInt32LE(utxo.height % 0x1_0000_0000, 8);
  out.writeUInt32LE(Math.floor(utxo.height / 0x1_0000_0000), 12);
  out.set(utxo.recipient, 16);
  return out;
}

/**
 * Recipients of one batch read, copied into one allocation: a separate ArrayBuffer per
 * recipient made a loaded node's reads allocate two native buffers per input.
 */
export class RecipientArena {
  private buf: Uint8Array | undefined;
  private at = 0;

  constructor(private readonly size: number) {}

  /** A plain `Uint8Array` copy of `src` in the arena (or on its own if it does not fit). */
  copy(src: Uint8Array): Uint8Array {
    if (this.at + src.length > this.size) return new Uint8Array(src);
    this.buf ??= new Uint8Array(this.size);
    const out = this.buf.subarray(this.at, this.at + src.length);
    out.set(src);
    this.at += src.length;
    return out;
  }
}

/**
 * Decodes a `utxos` value; copies the recipient (into `arena` when given) as a plain
 * `Uint8Array`, so `bytes` may be a reused buffer and single and batch reads look alike.
 */
export function decodeUtxo(bytes: Uint8Array, arena?: RecipientArena): Utxo {
  // `length`, not `byteLength`: an engine's reused buffer may be larger than the value it holds.
  const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < 16) throw new RangeError(`utxo value of ${b.length} bytes`);
  const recipient = b.subarray(16, b.length);
  return {
    value: b.readBigUInt64LE(0),
    height: b.readUInt32LE(8) + b.readUInt32LE(12) * 0x1_0000_0000,
    recipient: arena ? arena.copy(recipient) : new Uint8Array(recipient),
  };
}

/** `txs` value: block hash (32) ‖ height (u64 LE) ‖ index (u32 LE). */
export function encodeTxLocation(location: TxLocation): Uint8Array {
  return new ByteWriter(HASH_BYTES + 12)
    .raw(location.blockHash)
    .height(location.height)
    .u32(location.index)
    .finish();
}

export function decodeTxLocation(bytes: Uint8Array): TxLocation {
  const r = new ByteReader(bytes);
  const blockHash = r.raw(HASH_BYTES).slice();
  return { blockHash, height: r.height(), index: r.u32() };
}

/** `headers` value: height (u64 LE) ‖ encoded BlockHeader. */
export function encodeHeaderEntry(height: number, headerBytes: Uint8Array): Uint8Array {
  return new ByteWriter(8 + headerBytes.byteLength).height(height).raw(headerBytes).finish();
}

export function decodeHeaderEntry(bytes: Uint8Array): { height: number; headerBytes: Uint8Array } {
  const r = new ByteReader(bytes);
  return { height: r.height(), headerBytes: r.rest() };
}

/** `meta/tip` value: height (u64 LE) ‖ hash (32). */
export function encodeTip(tip: ChainTip): Uint8Array {
  return new ByteWriter(8 + HASH_BYTES).height(tip.height).raw(tip.hash).finish();
}

export function decodeTip(bytes: Uint8Array): ChainTip {
  const r = new ByteReader(bytes);
  return { height: r.height(), hash: r.raw(HASH_BYTES).slice() };
}

/** One transaction's part of an undo record. */
export interface UndoTx {
  readonly txid: Uint8Array;
  readonly outputCount: number;
  /** The outpoints it spent (as `utxos` keys) and their exact `utxos` values before the spend. */
  readonly spent: readonly { readonly key: Uint8Array; readonly value: Uint8Array }[];
}

/**
 * `undo` value, per block, in block order:
 * txCount (u32 LE), then per transaction: txid (32) ‖ outputCount (u32 LE) ‖ spentCount (u32 LE),
 * then per spent outpoint: outpoint key (36) ‖ value length (u32 LE) ‖ the `utxos` value bytes.
 */
export function encodeUndo(txs: readonly UndoTx[]): Uint8Array {
  let size = 4;
  for (const tx of txs) {
    size += HASH_BYTES + 8;
    for (const s of tx.spent) size += OUTPOINT_KEY_BYTES + 4 + s.value.byteLength;
  }
  const w = new ByteWriter(size).u32(txs.length);
  for (const tx of txs) {
    w.raw(tx.txid).u32(tx.outputCount).u32(tx.spent.length);
    for (const s of tx.spent) w.raw(s.key).u32(s.value.byteLength).raw(s.value);
  }
  return w.finish();
}

export function decodeUndo(bytes: Uint8Array): UndoTx[] {
  const r = new ByteReader(bytes);
  const txCount = r.u32();
  const txs: UndoTx[] = [];
  for (let i = 0; i < txCount; i++) {
    const txid = r.raw(HASH_BYTES);
    const outputCount = r.u32();
    const spentCount = r.u32();
    const spent: { key: Uint8Array; value: Uint8Array }[] = [];
    for (let j = 0; j < spentCount; j++) {
      const key = r.raw(OUTPOINT_KEY_BYTES);
      spent.push({ key, value: r.raw(r.u32()) });
    }
    txs.push({ txid, outputCount, spent });
  }
  if (r.remaining !== 0) throw new RangeError(`undo record has ${r.remaining} trailing bytes`);
  return txs;
}
