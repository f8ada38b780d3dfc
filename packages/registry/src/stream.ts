import { RequestTimeoutError } from './errors.js';

export interface ChunkStreamOptions {
  readonly peerId: string;
  readonly kind: string;
  /** Chunks buffered before the connection stops reading (backpressure). */
  readonly bufferChunks: number;
  /** Longest wait for the next chunk while the consumer is waiting or the buffer has room. */
  readonly idleTimeoutMs: number;
  readonly pause: () => void;
  readonly resume: () => void;
  /** Cancels the request (consumer stopped, or idle timeout). */
  readonly cancel: (reason: Error) => void;
}

type Waiter = { resolve: (r: IteratorResult<unknown>) => void; reject: (e: unknown) => void };

/**
 * An async iterable over the chunks of one streamed response, ending at the end marker.
 * At most `bufferChunks` chunks are held: when the buffer is full the connection stops
 * reading, so the sender's write queue fills and its sends wait (TCP backpressure).
 * Note the trade-off: while paused, nothing else on that connection is read either.
 */
export class ChunkStream<T> implements AsyncIterableIterator<T> {
  private readonly buffer: T[] = [];
  private waiter: Waiter | null = null;
  private done = false;
  private failure: { error: unknown } | null = null;
  private paused = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly opts: ChunkStreamOptions) {
    this.arm();
  }

  /** A chunk arrived. */
  push(chunk: T): void {
    if (this.done) return;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w.resolve({ value: chunk, done: false });
    } else {
      this.buffer.push(chunk);
      if (this.buffer.length >= this.opts.bufferChunks && !this.paused) {
        this.paused = true;
        this.opts.pause();
      }
    }
    this.arm();
  }

  /** The end marker arrived. */
  end(): void {
    this.finish(null);
  }

  /** The request failed (remote error, disconnect, abort...). */
  fail(error: unknown): void {
    this.finish({ error });
  }

  next(): Promise<IteratorResult<T>> {
    if (this.buffer.length > 0) {
      const value = this.buffer.shift()!;
      if (this.paused && this.buffer.length <= this.opts.bufferChunks >> 1) {
        this.paused = false;
        this.opts.resume();
        this.arm();
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.failure !== null) {
      const { error } = this.failure;
      this.failure = null; // reported once; later calls see `done`
      return Promise.reject(error);
    }
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiter = { resolve: resolve as Waiter['resolve'], reject };
    });
  }

  /** The consumer stopped early (`break`): cancel the request and release the connection. */
  return(): Promise<IteratorResult<T>> {
    if (!this.done) {
      this.finish(null);
      this.opts.cancel(new Error('stream consumer stopped'));
    }
    this.buffer.length = 0;
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.done || this.paused) return;
    this.timer = setTimeout(() => {
      const error = new RequestTimeoutError(this.opts.peerId, this.opts.kind, this.opts.idleTimeoutMs);
      this.opts.cancel(error);
      this.fail(error);
    }, this.opts.idleTimeoutMs);
    this.timer.unref();
  }

  private finish(failure: { error: unknown } | null): void {
    if (this.done) return;
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.paused) {
      this.paused = false;
      this.opts.resume();
    }
    const w = this.waiter;
    this.waiter = null;
    if (w === null) {
      this.failure = failure;
      return;
    }
    if (failure !== null) w.reject(failure.error);
    else w.resolve({ value: undefined, done: true });
  }
}
