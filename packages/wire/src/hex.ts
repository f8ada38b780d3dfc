/** Hex and byte comparison, once for every package (storage and consensus had their own). */

/** Lowercase hex of `bytes` (a view's own bytes, not its whole buffer). */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Parses lowercase or uppercase hex, of an exact byte length when given. Throws RangeError otherwise. */
export function fromHex(hex: string, expectedBytes?: number): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex))
    throw new RangeError(`not hex: ${hex.slice(0, 16)}`);
  const out = new Uint8Array(Buffer.from(hex, 'hex'));
  if (expectedBytes !== undefined && out.length !== expectedBytes) {
    throw new RangeError(`expected ${expectedBytes} bytes of hex, got ${out.length}`);
  }
  return out;
}

/** Whether two byte strings are equal. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}
