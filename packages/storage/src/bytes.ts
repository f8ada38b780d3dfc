/** Byte helpers. Keys are big-endian (so they sort numerically); values are little-endian. */

export const HASH_BYTES = 32;
export const U64_MAX = (1n << 64n) - 1n;

// One implementation for every package, in @tc/wire.
export { bytesEqual, toHex } from '@tc/wire';

export function utf8(text: string): Uint8Array {
  return Buffer.from(text, 'utf8');
}

export function fromUtf8(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

/** A chain height (safe integer ≥ 0) as 8 big-endian bytes, used as a key. */
export function heightKey(height: number): Uint8Array {
  const out = new Uint8Array(8);
  const view = new DataView(out.buffer);
  view.setUint32(0, Math.floor(height / 0x1_0000_0000), false);
  view.setUint32(4, height >>> 0, false);
  return out;
}

export function readHeightKey(key: Uint8Array): number {
  const view = new DataView(key.buffer, key.byteOffset, key.byteLength);
  return view.getUint32(0, false) * 0x1_0000_0000 + view.getUint32(4, false);
}

/** Little-endian cursor writer for values of known size. */
export class ByteWriter {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  private offset = 0;

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }

  u32(value: number): this {
    this.view.setUint32(this.offset, value, true);
    this.offset += 4;
    return this;
  }

  u64(value: bigint): this {
    this.view.setBigUint64(this.offset, value, true);
    this.offset += 8;
    return this;
  }

  /** A safe-integer height as u64 LE. */
  height(value: number): this {
    return this.u64(BigInt(value));
  }

  raw(bytes: Uint8Array): this {
    this.bytes.set(bytes, this.offset);
    this.offset += bytes.byteLength;
    return this;
  }

  finish(): Uint8Array {
    if (this.offset !== this.bytes.byteLength) {
      throw new Error(`ByteWriter: wrote ${this.offset} of ${this.bytes.byteLength} bytes`);
    }
    return this.bytes;
  }
}

/** Little-endian cursor reader; throws CorruptRecordError-worthy RangeErrors on truncation. */
export class ByteReader {
  private readonly view: DataView;
  private offset = 0;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.byteLength - this.offset;
  }

  u32(): number {
    const value = this.view.getUint32(this.offset, true);
    this.offset += 4;
    return value;
  }

  u64(): bigint {
    const value = this.view.getBigUint64(this.offset, true);
    this.offset += 8;
    return value;
  }

  height(): number {
    return Number(this.u64());
  }

  raw(length: number): Uint8Array {
    if (length > this.remaining) throw new RangeError(`record truncated: need ${length} bytes`);
    const out = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  rest(): Uint8Array {
    return this.raw(this.remaining);
  }
}
