import { DialError } from '../errors.js';

/**
 * Dials in progress, by address (not a queue: past `maxPending` a dial is refused at once,
 * DIAL_QUEUE_FULL). A second dial to an address joins the pending one instead of
 * opening another socket (js-libp2p's dial queue), and the number of dials in progress is
 * bounded. Timeouts belong to the dial function itself (TCP connect, then the handshake).
 */
export class PendingDials<T> {
  private readonly pending = new Map<string, Promise<T>>();

  constructor(
    private readonly maxPending: number,
    private readonly run: (address: string) => Promise<T>,
  ) {}

  get size(): number {
    return this.pending.size;
  }

  has(address: string): boolean {
    return this.pending.has(address);
  }

  addresses(): IterableIterator<string> {
    return this.pending.keys();
  }

  /** Dials `address`, or joins the dial already in progress. `joined` tells which. */
  dial(address: string): { promise: Promise<T>; joined: boolean } {
    const existing = this.pending.get(address);
    if (existing) return { promise: existing, joined: true };
    if (this.pending.size >= this.maxPending) {
      return {
        promise: Promise.reject(
          new DialError('DIAL_QUEUE_FULL', address, `${this.maxPending} dials pending`),
        ),
        joined: false,
      };
    }
    const promise = this.run(address).finally(() => {
      if (this.pending.get(address) === promise) this.pending.delete(address);
    });
    this.pending.set(address, promise);
    return { promise, joined: false };
  }
}
