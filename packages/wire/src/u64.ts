import Long from 'long';

/**
 * 64-bit protobuf integers (heights, amounts, timestamps, nonces) decode as unsigned
 * `Long` values and are never rounded. These helpers convert at the edges.
 */
export type U64 = Long;
export type U64Input = Long | number | bigint;

const U64_MAX = (1n << 64n) - 1n;

/** Converts to an unsigned Long. Throws RangeError for negatives, fractions or values ≥ 2^64. */
export function u64(value: U64Input): Long {
  if (Long.isLong(value)) return value.unsigned ? value : value.toUnsigned();
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`u64: ${value} is not a non-negative safe integer`);
    }
    return Long.fromNumber(value, true);
  }
  if (value < 0n || value > U64_MAX) throw new RangeError(`u64: ${value} is out of range`);
  return Long.fromBits(Number(value & 0xffff_ffffn) | 0, Number(value >> 32n) | 0, true);
}

/** Exact conversion to bigint. */
export function u64ToBigInt(value: U64Input): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return BigInt(value);
  return (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
}

/** Conversion to number; throws RangeError instead of rounding above 2^53 - 1. */
export function u64ToNumber(value: U64Input): number {
  if (typeof value === 'number') return value;
  const big = u64ToBigInt(value);
  if (big > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(`u64: ${big} does not fit a JavaScript number exactly`);
  }
  return Number(big);
}

export { Long };
