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

/** Envelope body field number → the body's shape, for the kinds with repeated fields. */
export const BODY_SHAPES: Readonly<Record<number, Shape>> = {
  17: { 1: {} }, // Peers.peers
  23: { 1: BLOCK_SHAPE }, // BlockRangeChunk.blocks
  26: { 1: TRANSACTION_SHAPE }, // TxBroadcast.txs
  28: { 1: TRANSACTION_SHAPE }, // PendingTxs.txs
  29: { 1: 'bytes' }, // TxInventory.txids
  30: { 1: 'bytes' }, // GetTxs.txids
  31: { 1: 'bytes' }, // Txs.txs (each one a Transaction, checked when it is decoded)
};

/** The Envelope: its body (one element) and what the body holds. */
export const ENVELOPE_SHAPE: Shape = Object.fromEntries(
  Object.entries(BODY_SHAPES).map(([field, shape]) => [field, shape]),
);

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

/**
 * Elements of `shape`'s repeated fields in bytes[start, end), nested ones included; stops once
 * the count passes `budget` (returns budget + 1).
 */
function countItems(bytes: Uint8Array, start: number, end: number, shape: Shape, budget: number): number {
  let pos = start;
  let items = 0;
  const varint = (): number => {
    let value = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (pos >= end) throw new MalformedFrameError('truncated varint');
      const byte = bytes[pos++]!;
      if (shift < 49) value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
    throw new MalformedFrameError('varint longer than 10 bytes');
  };
  while (pos < end) {
    const tag = varint();
    const field = Math.floor(tag / 8);
    switch (tag & 7) {
      case 0:
        varint();
        break;
      case 1:
        pos += 8;
        break;
      case 5:
        pos += 4;
        break;
      case 2: {
        const length = varint();
        const bodyEnd = pos + length;
        if (bodyEnd > end) throw new MalformedFrameError('length-delimited field runs past its message');
        const element = shape[field];
        if (element !== undefined) {
          items++;
          if (element !== 'bytes') items += countItems(bytes, pos, bodyEnd, element, budget - items);
          if (items > budget) return budget + 1;
        }
        pos = bodyEnd;
        break;
      }
      default:
        throw new MalformedFrameError(`wire type ${tag & 7}`);
    }
    if (pos > end) throw new MalformedFrameError('field runs past its message');
  }
  return items;
}

/**
 * The payload of the last top-level length-delimited field `field` of a message (protobufjs
 * keeps the last one too), found without decoding anything else: e.g. a block's header without
 * its transactions. Throws MalformedFrameError on broken framing.
 */
export function lastFieldOf(bytes: Uint8Array, field: number): Uint8Array | undefined {
  let found: Uint8Array | undefined;
  let pos = 0;
  const end = bytes.length;
  const varint = (): number => {
    let value = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (pos >= end) throw new MalformedFrameError('truncated varint');
      const byte = bytes[pos++]!;
      if (shift < 49) value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
    throw new MalformedFrameError('varint longer than 10 bytes');
  };
  while (pos < end) {
    const tag = varint();
    const wireType = tag & 7;
    if (wireType === 0) varint();
    else if (wireType === 1) pos += 8;
    else if (wireType === 5) pos += 4;
    else if (wireType === 2) {
      const length = varint();
      if (pos + length > end) throw new MalformedFrameError('length-delimited field runs past its message');
      if (Math.floor(tag / 8) === field) found = bytes.subarray(pos, pos + length);
      pos += length;
    } else throw new MalformedFrameError(`wire type ${wireType}`);
    if (pos > end) throw new MalformedFrameError('field runs past its message');
  }
  return found;
}
