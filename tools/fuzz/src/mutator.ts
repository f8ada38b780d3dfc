/** Structure-aware byte mutations for length-prefixed protobuf frames. */
export type Random = () => number;

const INTERESTING_U32 = [
  0, 1, 2, 3, 4, 15, 16, 17, 63, 64, 65, 255, 256, 0x7fff, 0xffff, 0x10000, 0x7fffff, 0x800000, 0x800001,
  0x7fffffff, 0xffffffff,
];
const INTERESTING_BYTES = [0x00, 0x01, 0x02, 0x07, 0x08, 0x0a, 0x7f, 0x80, 0x81, 0xfe, 0xff];

export class Mutator {
  constructor(private readonly random: Random) {}

  int(max: number): number {
    return Math.floor(this.random() * max);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** Applies 1–4 random mutations to a copy of `input`. `others` feeds the splice mutation. */
  mutate(input: Uint8Array, others: readonly Uint8Array[], maxBytes: number): Uint8Array {
    let out: Uint8Array = Uint8Array.from(input);
    const rounds = 1 + this.int(4);
    for (let r = 0; r < rounds; r++) out = this.once(out, others);
    return out.length > maxBytes ? out.subarray(0, maxBytes) : out;
  }

  /** Cuts a byte stream into random chunks (empty, single bytes, large runs). */
  split(stream: Uint8Array): Uint8Array[] {
    const chunks: Uint8Array[] = [];
    let offset = 0;
    while (offset < stream.length) {
      const style = this.int(4);
      const size =
        style === 0 ? 1 : style === 1 ? this.int(8) : style === 2 ? this.int(64) + 1 : this.int(4096) + 1;
      chunks.push(stream.subarray(offset, offset + size));
      offset += size;
    }
    return chunks;
  }

  private once(data: Uint8Array, others: readonly Uint8Array[]): Uint8Array {
    const at = data.length ? this.int(data.length) : 0;
    switch (this.int(10)) {
      case 0: // flip a bit
        if (data.length) data[at]! ^= 1 << this.int(8);
        return data;
      case 1: // interesting byte
        if (data.length) data[at] = this.pick(INTERESTING_BYTES);
        return data;
      case 2: {
        // overwrite a length prefix (at 0 or at a random offset) with an interesting u32
        const pos = this.int(2) === 0 ? 0 : at;
        const copy = data.length >= pos + 4 ? data : concat(data, new Uint8Array(pos + 4 - data.length));
        new DataView(copy.buffer, copy.byteOffset, copy.length).setUint32(
          pos,
          this.pick(INTERESTING_U32),
          false,
        );
        return copy;
      }
      case 3: // insert random bytes
        return concat(data.subarray(0, at), this.randomBytes(1 + this.int(16)), data.subarray(at));
      case 4: // delete a range
        return concat(data.subarray(0, at), data.subarray(Math.min(data.length, at + 1 + this.int(16))));
      case 5: {
        // duplicate a range
        const end = Math.min(data.length, at + 1 + this.int(64));
        return concat(data.subarray(0, end), data.subarray(at, end), data.subarray(end));
      }
      case 6: {
        // splice in part of another input
        const other = others.length ? this.pick(others) : data;
        const from = this.int(other.length + 1);
        return concat(data.subarray(0, at), other.subarray(from, from + this.int(256)));
      }
      case 7: // truncate
        return data.subarray(0, at);
      case 8: {
        // a run of continuation bytes: overlong varints
        return concat(
          data.subarray(0, at),
          new Uint8Array(1 + this.int(12)).fill(0x80 | this.int(128)),
          data.subarray(at),
        );
      }
      default:
        // random byte
        if (data.length) data[at] = this.int(256);
        return data;
    }
  }

  /** `n` bytes from the seeded source, so a campaign's seed reproduces them. */
  randomBytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
