import { randomInt } from 'node:crypto';

/** The id was announced to this peer, or by it. */
export const MARK_KNOWN = 1;
/** The peer announced or fetched the id: it holds it, so even a re-announcement skips it. */
export const MARK_HAS = 2;

/**
 * What one peer is known to know, for up to `capacity` transaction ids (the oldest forgotten
 * first). Keyed by 31 bits of the txid (a hash), salted per filter, so every lookup is a
 * small-integer Map operation with no hex string: with 16–30 peers and 50,000 ids each, the
 * two string-keyed sets per peer this replaces were the largest JS cost of a node relaying
 * 200 tx/s (a tenth of its main thread, and most of its heap).
 *
 * Two ids that share the salted 31 bits are taken for one: at 50,000 ids a lookup errs with
 * probability 2.3e-5, and an error only skips announcing an id to this one peer (it hears of
 * it from its other peers, or gets it in a block). The salt is secret, so no peer can aim a
 * collision.
 */
export class TxidMarks {
  /** Mark bits in the low 2 bits, the id's ring slot above them (a small integer, so a Smi). */
  private readonly entries = new Map<number, number>();
  private readonly ring: Int32Array;
  private head = 0;
  private filled = 0;
  private readonly salt = randomInt(0, 0x8000_0000);

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 1 << 28) {
      throw new RangeError('TxidMarks capacity must be in [1, 2^28]');
    }
    this.ring = new Int32Array(capacity);
  }

  /** The marks of `txid` (0 when none). */
  get(txid: Uint8Array): number {
    return (this.entries.get(this.key(txid)) ?? 0) & 3;
  }

  /** Adds `marks` to `txid`'s; returns the marks it had before. */
  mark(txid: Uint8Array, marks: number): number {
    const key = this.key(txid);
    const entry = this.entries.get(key);
    if (entry !== undefined) {
      if ((entry & marks) !== marks) this.entries.set(key, entry | marks);
      return entry & 3;
    }
    const slot = this.head;
    // Ids leave only here, so a full ring's slot always names a present id.
    if (this.filled === this.capacity) this.entries.delete(this.ring[slot]!);
    else this.filled++;
    this.ring[slot] = key;
    this.head = (slot + 1) % this.capacity;
    this.entries.set(key, (slot << 2) | marks);
    return 0;
  }

  get size(): number {
    return this.entries.size;
  }

  private key(txid: Uint8Array): number {
    if (txid.length < 4) throw new RangeError('a txid has 32 bytes');
    const bits = (txid[0]! | (txid[1]! << 8) | (txid[2]! << 16) | ((txid[3]! & 0x7f) << 24)) >>> 0;
    return bits ^ this.salt;
  }
}
