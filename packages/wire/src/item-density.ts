import { MalformedFrameError } from './errors.js';

/**
 * What a decode would allocate, counted before it runs. protobufjs makes one object per
 * element of a repeated field, however small its encoding: an empty Transaction is 2 bytes,
 * so a 1 MiB frame could hold 500 000 of them and cost the decoding thread seconds and
 * gigabytes. The rule is a density: a message may hold at most one element per
 * `BYTES_PER_ITEM` bytes it spans (plus `ITEM_SLACK`), which every honest message meets
 * (a 1-in-1-out transaction is 3 elements in about 180 bytes) and every such bomb breaks.
 * The scan walks the bytes once, allocates nothing, and stops at the first excess.
 */
export const BYTES_PER_ITEM = 16;
export const ITEM_SLACK = 64;

/** The repeated message (or bytes) fields of a message type, each with the shape of its elements. */
export interface Shape {
  readonly [field: number]: Shape | 'bytes';
}

const INPUT: Shape = {};
const OUTPUT: Shape = {};
export const TRANSACTION_SHAPE: Shape = { 2: INPUT, 3: OUTPUT };
export const BLOCK_SHAPE: Shape = { 2: TRANSACTION_SHAPE };
const CERTIFICATE_SHAPE: Shape = { 5: {} };

/**
 * The Envelope: its body (one element) and what the body holds, by body field number, for the
 * kinds with repeated fields.
 */
export const ENVELOPE_SHAPE: Shape = {
  17: { 1: {} }, // Peers.peers
  23: { 1: 'bytes', 2: CERTIFICATE_SHAPE }, // BlockRangeChunk.blocks (each a Block, checked when it is decoded), .certificates
  26: { 1: TRANSACTION_SHAPE }, // TxBroadcast.txs
  28: { 1: TRANSACTION_SHAPE }, // PendingTxs.txs
  29: { 1: 'bytes' }, // TxInventory.txids
  30: { 1: 'bytes' }, // GetTxs.txids
  31: { 1: 'bytes' }, // Txs.txs (each one a Transaction, checked when it is decoded)
  32: { 1: {} }, // Votes.votes
  33: { 1: {} }, // EvidenceBatch.items
};

/** A message holds more elements than its bytes allow (a decode bomb); nothing was allocated. */
export class TooManyItemsError extends MalformedFrameError {
  constructor(items: number, bytes: number) {
    super(`${items}+ elements in ${bytes} bytes: more than one per ${BYTES_PER_ITEM} bytes (a decode bomb)`);
  }
}

/** Throws TooManyItemsError when `bytes` (a message of `shape`) is denser than the rule allows. */
export function checkItemDensity(bytes: Uint8Array, shape: Shape): void {
  const budget = ITEM_SLACK + Math.floor(bytes.length / BYTES_PER_ITEM);
  const counted = countItems(bytes, 0, bytes.length, shape, budget);
  if (counted > budget) throw new TooManyItemsError(counted, bytes.length);
}

/** A cursor over protobuf bytes[pos, end): varints and skips, MalformedFrameError when broken. */
class Cursor {
  constructor(
    readonly bytes: Uint8Array,
    public pos: number,
    readonly end: number,
  ) {}

  varint(): number {
    let value = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (this.pos >= this.end) throw new MalformedFrameError('truncated varint');
      const byte = this.bytes[this.pos++]!;
      if (shift < 49) value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
    throw new MalformedFrameError('varint longer than 10 bytes');
  }

  /** Skips a field's value of `wireType`; for LEN returns the payload's [start, end). */
  skip(wireType: number): [number, number] | undefined {
    let payload: [number, number] | undefined;
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.pos += 8;
    else if (wireType === 5) this.pos += 4;
    else if (wireType === 2) {
      const length = this.varint();
      if (this.pos + length > this.end)
        throw new MalformedFrameError('length-delimited field runs past its message');
      payload = [this.pos, this.pos + length];
      this.pos += length;
    } else throw new MalformedFrameError(`wire type ${wireType}`);
    if (this.pos > this.end) throw new MalformedFrameError('field runs past its message');
    return payload;
  }
}

/** The varint encoding of `n` (a non-negative safe integer), for hand-built frames in tests and tools. */
export function varintBytes(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

/**
 * Elements of `shape`'s repeated fields in bytes[start, end), nested ones included; stops once
 * the count passes `budget` (returns budget + 1).
 */
function countItems(bytes: Uint8Array, start: number, end: number, shape: Shape, budget: number): number {
  const c = new Cursor(bytes, start, end);
  let items = 0;
  while (c.pos < end) {
    const tag = c.varint();
    const payload = c.skip(tag & 7);
    const element = payload && shape[Math.floor(tag / 8)];
    if (!payload || element === undefined) continue;
    items++;
    if (element !== 'bytes') items += countItems(bytes, payload[0], payload[1], element, budget - items);
    if (items > budget) return budget + 1;
  }
  return items;
}

/**
 * The payload of the last top-level length-delimited field `field` of a message (protobufjs
 * keeps the last one too), found without decoding anything else: e.g. a block's header without
 * its transactions. Throws MalformedFrameError on broken framing.
 */
export function lastFieldOf(bytes: Uint8Array, field: number): Uint8Array | undefined {
  let found: [number, number] | undefined;
  const c = new Cursor(bytes, 0, bytes.length);
  while (c.pos < bytes.length) {
    const tag = c.varint();
    const payload = c.skip(tag & 7);
    if (payload && Math.floor(tag / 8) === field) found = payload;
  }
  return found && bytes.subarray(found[0], found[1]);
}
