/** Small byte helpers used by the canonical encodings. All integers are little-endian. */

export const HASH_BYTES = 32;
export const PUBLIC_KEY_BYTES = 32;
export const SIGNATURE_BYTES = 64;

const textEncoder = new TextEncoder();

export function utf8(text: string): Uint8Array {
  return textEncoder.encode(text);
}

// One implementation for every package, in @tc/wire.
export { bytesEqual, fromHex, toHex } from '@tc/wire';

/** A freshly allocated, ArrayBuffer-backed copy (safe to put in a worker transferList). */
export function transferableCopy(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(new ArrayBuffer(bytes.byteLength));
  out.set(bytes);
  return out;
}

const U32_MAX = 0xffff_ffff;
const U64_MAX = (1n << 64n) - 1n;

/** Fixed-size little-endian writer over one preallocated ArrayBuffer. */
export class LeWriter {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  private offset = 0;

  constructor(size: number) {
    this.bytes = new Uint8Array(new ArrayBuffer(size));
    this.view = new DataView(this.bytes.buffer);
  }

  u8(value: number): this {
    this.view.setUint8(this.offset, value);
    this.offset += 1;
    return this;
  }

  u32(value: number): this {
    if (!Number.isInteger(value) || value < 0 || value > U32_MAX)
      throw new RangeError(`u32 out of range: ${value}`);
    this.view.setUint32(this.offset, value, true);
    this.offset += 4;
    return this;
  }

  u64(value: bigint | number): this {
    const big = typeof value === 'bigint' ? value : BigInt(value);
    if (big < 0n || big > U64_MAX) throw new RangeError(`u64 out of range: ${big}`);
    this.view.setBigUint64(this.offset, big, true);
    this.offset += 8;
    return this;
  }

  raw(bytes: Uint8Array, expectedLength?: number): this {
    if (expectedLength !== undefined && bytes.length !== expectedLength) {
      throw new RangeError(`expected ${expectedLength} bytes, got ${bytes.length}`);
    }
    this.bytes.set(bytes, this.offset);
    this.offset += bytes.length;
    return this;
  }

  /** Returns the bytes; throws if the precomputed size was not filled exactly. */
  finish(): Uint8Array {
    if (this.offset !== this.bytes.length) {
      throw new Error(`canonical writer filled ${this.offset} of ${this.bytes.length} bytes`);
    }
    return this.bytes;
  }
}
