import { FifoRing } from './fifo-ring.js';

/**
 * A bounded "have I seen this id recently?" set for gossip: the oldest ids are forgotten
 * first once `capacity` is reached, so memory stays bounded under any flood.
 */
export class SeenFilter {
  /** Each id's sequence number in `order`. */
  private readonly ids = new Map<string, number>();
  private readonly order: FifoRing;

  constructor(readonly capacity = 50_000) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('SeenFilter capacity must be >= 1');
    this.order = new FifoRing(capacity);
  }

  private static key(id: Uint8Array | string): string {
    return typeof id === 'string' ? id : Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('hex');
  }

  has(id: Uint8Array | string): boolean {
    return this.ids.has(SeenFilter.key(id));
  }

  /** Records `id`; returns true when it was not already present (i.e. process and relay it). */
  add(id: Uint8Array | string): boolean {
    const key = SeenFilter.key(id);
    if (this.ids.has(key)) return false;
    const seq = this.order.push(key);
    const old = this.order.evictedKey;
    if (old !== undefined && this.ids.get(old) === this.order.evictedSeq) this.ids.delete(old);
    this.ids.set(key, seq);
    return true;
  }

  /** Forgets `id` (its processing did not finish: a later copy must be processed). */
  delete(id: Uint8Array | string): boolean {
    return this.ids.delete(SeenFilter.key(id));
  }

  get size(): number {
    return this.ids.size;
  }

  clear(): void {
    this.ids.clear();
    this.order.clear();
  }
}
