import type { BlockSource } from '../chain/chain-types.js';

/** When one block joined this node's canonical chain, and how it came. */
export interface BlockArrival {
  readonly hash: string;
  readonly height: number;
  /** The block's own timestamp (its slot's start, set by its producer). */
  readonly blockTimeMs: number;
  /** Wall-clock time the block connected here (validated and committed). */
  readonly connectedAtMs: number;
  readonly source: BlockSource;
  /** The peer it came from; absent for blocks we produced. */
  readonly fromPeer?: string;
}

/** Arrivals kept by default: several minutes of 1 s slots. */
export const DEFAULT_BLOCK_ARRIVALS = 512;

/**
 * The last `capacity` block arrivals, newest last, in a fixed ring. Operators read it over RPC
 * (`getblockarrivals`) to see how late blocks reach a node; the testnet harness compares the
 * nodes' records to measure propagation from timestamps taken where the block landed, instead
 * of polling every node (which on a loaded machine measures the poller).
 */
export class BlockArrivals {
  private readonly ring: (BlockArrival | undefined)[];
  private head = 0;
  private size = 0;

  constructor(readonly capacity = DEFAULT_BLOCK_ARRIVALS) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('BlockArrivals capacity must be >= 1');
    this.ring = new Array(capacity);
  }

  record(arrival: BlockArrival): void {
    this.ring[this.head] = arrival;
    this.head = (this.head + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
  }

  /** The newest `limit` arrivals (all by default), oldest first. */
  list(limit = this.capacity): BlockArrival[] {
    const n = Math.max(0, Math.min(limit, this.size));
    const out: BlockArrival[] = [];
    for (let i = n; i > 0; i--) {
      const entry = this.ring[(this.head - i + this.capacity) % this.capacity];
      if (entry) out.push(entry);
    }
    return out;
  }
}
