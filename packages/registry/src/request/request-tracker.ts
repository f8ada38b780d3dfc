import type { KnownFrame } from '@tc/wire';

/** One outbound request waiting for its response (or its stream of chunks). */
export interface PendingRequest {
  readonly id: number;
  readonly kind: string;
  readonly startMs: number;
  /** Kind of the response that settles a unary request (streams: undefined). */
  readonly expect?: string;
  /** Called with the final frame (the response, the stream's end marker, or an error reply). */
  settle(frame: KnownFrame): void;
  /** Called with a rejection reason (timeout, abort, disconnect, local bound). */
  fail(error: Error): void;
  /** For streams: called with each chunk before the end marker. */
  chunk?(frame: KnownFrame): void;
}

const MAX_U32 = 0xffff_ffff;
/** Late answers to this many recently cancelled ids per session are dropped silently. */
const RECENT_CANCELLED = 1024;

/**
 * The pending map of one session, keyed by request id. Ids are a per-session u32 counter
 * that skips 0 (which means "no request") and ids still pending, so a response can only
 * ever match the request that carries its id. Size is bounded by `maxInflight`.
 */
export class RequestTracker {
  private readonly pending = new Map<number, PendingRequest>();
  private readonly cancelled = new Set<number>();
  private nextId = 1;

  constructor(readonly maxInflight: number) {}

  get size(): number {
    return this.pending.size;
  }

  get full(): boolean {
    return this.pending.size >= this.maxInflight;
  }

  /** A fresh id: never 0, never one that is still pending. Call only when not `full`. */
  allocate(): number {
    for (;;) {
      const id = this.nextId;
      this.nextId = id >= MAX_U32 ? 1 : id + 1;
      if (!this.pending.has(id)) {
        this.cancelled.delete(id);
        return id;
      }
    }
  }

  add(request: PendingRequest): void {
    this.pending.set(request.id, request);
  }

  get(id: number): PendingRequest | undefined {
    return this.pending.get(id);
  }

  /** Removes and returns the request; `cancelled` remembers it so a late answer is not a protocol error. */
  take(id: number, cancelled = false): PendingRequest | undefined {
    const request = this.pending.get(id);
    if (request === undefined) return undefined;
    this.pending.delete(id);
    if (cancelled) {
      if (this.cancelled.size >= RECENT_CANCELLED) {
        const oldest = this.cancelled.values().next();
        if (!oldest.done) this.cancelled.delete(oldest.value);
      }
      this.cancelled.add(id);
    }
    return request;
  }

  /** Whether `id` belonged to a request we cancelled recently (timeout, abort). */
  wasCancelled(id: number): boolean {
    return this.cancelled.has(id);
  }

  /** Fails every pending request at once (the session ended). */
  failAll(error: (request: PendingRequest) => Error): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const request of all) request.fail(error(request));
  }
}
