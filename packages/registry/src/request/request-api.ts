import { EventEmitter } from 'node:events';
import type { KindBodies, OutgoingMessage } from '@tc/wire';
import {
  NotConnectedError,
  PeerDisconnectedError,
  QueueFullError,
  RateLimitedError,
  RequestAbortedError,
  RequestTimeoutError,
} from '../errors.js';
import {
  isRequestKind,
  RESPONSE_OF,
  type RequestMessage,
  type ResponseBody,
  type StreamRequestKind,
  type UnaryRequestKind,
} from '../protocol.js';
import type { Session } from '../session.js';
import { ChunkStream } from '../stream.js';

export interface RequestCallOptions {
  /** Per attempt (default limits.requestTimeoutMs). */
  timeoutMs?: number;
  /** Extra attempts after a timeout, disconnect, rate limit or full queue (default 0). */
  retries?: number;
  /** Backoff before retry n: retryBackoffMs · 2^n, jittered (default 100 ms). */
  retryBackoffMs?: number;
  /**
   * Where retries may go: 'same' (default) keeps the peer, 'any' moves to another connected
   * peer, a list moves along it. A peer that failed is not asked again within one call.
   */
  fallback?: 'same' | 'any' | readonly string[];
  signal?: AbortSignal;
}

export interface StreamCallOptions {
  /** Longest wait for the next chunk while the consumer is ready (default limits.requestTimeoutMs). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface QueryOptions {
  /** Peers to ask (default: every connected peer). */
  peers?: readonly string[];
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** One peer's answer to `query`. */
export type QueryResult<K extends UnaryRequestKind> =
  | { readonly ok: true; readonly value: ResponseBody<K>; readonly ms: number }
  | { readonly ok: false; readonly error: Error; readonly ms: number };

const MAX_TIMER_MS = 2 ** 31 - 1;
let streamCounter = 0;

/**
 * The peer-facing API of the registry (send, request, stream, broadcast, query), written
 * against the few session accessors the registry provides.
 */
// biome-ignore lint/suspicious/noExplicitAny: EventEmitter's event map parameter
export abstract class RequestApi<Events extends Record<keyof Events, any[]>> extends EventEmitter<Events> {
  protected abstract session(peerId: string): Session | undefined;
  protected abstract liveSessions(): Session[];
  protected abstract encode(msg: OutgoingMessage): Uint8Array;
  protected abstract countMessage(direction: 'in' | 'out', kind: string, n?: number): void;
  protected abstract get requestTimeoutMs(): number;
  protected abstract get streamBufferChunks(): number;

  /**
   * Queues a one-way message (gossip). Waits for drain when the peer's write queue is over
   * its bound, up to sendDrainTimeoutMs; then rejects QueueFullError and the peer is
   * disconnected as too slow.
   */
  async send(peerId: string, msg: OutgoingMessage, opts: { signal?: AbortSignal } = {}): Promise<void> {
    if (isRequestKind(msg.kind))
      throw new TypeError(`${msg.kind} is a request kind: use request() or stream()`);
    const s = this.session(peerId);
    if (!s) throw new NotConnectedError(peerId);
    const frame = this.encode({ ...msg, requestId: 0 } as OutgoingMessage);
    await s.write(frame, opts.signal);
    this.countMessage('out', msg.kind);
  }

  /**
   * Sends a request and resolves with the response body matched by request id. A timeout or
   * abort cancels only this request. Rejects RequestTimeoutError, PeerDisconnectedError,
   * RemoteError, RateLimitedError, QueueFullError, NotConnectedError or RequestAbortedError.
   */
  request<K extends UnaryRequestKind>(
    peerId: string,
    msg: RequestMessage<K>,
    opts: RequestCallOptions = {},
  ): Promise<ResponseBody<K>> {
    // The common case (no retries) is one promise from send to response: no extra layers.
    if (!(opts.retries !== undefined && opts.retries > 0)) return this.requestOnce(peerId, msg, opts);
    return this.requestWithRetries(peerId, msg, opts);
  }

  private async requestWithRetries<K extends UnaryRequestKind>(
    peerId: string,
    msg: RequestMessage<K>,
    opts: RequestCallOptions,
  ): Promise<ResponseBody<K>> {
    const retries = Math.max(0, opts.retries ?? 0);
    const tried = new Set<string>();
    let target: string | undefined = peerId;
    for (let attempt = 0; ; attempt++) {
      try {
        if (target === undefined) throw new NotConnectedError(undefined);
        return await this.requestOnce(target, msg, opts);
      } catch (error) {
        if (attempt >= retries || !retryable(error) || opts.signal?.aborted) throw error;
        if (target !== undefined) tried.add(target);
        const base = opts.retryBackoffMs ?? 100;
        await sleep(base * 2 ** attempt * (0.5 + Math.random() / 2), opts.signal);
        target = this.nextTarget(target, opts.fallback ?? 'same', tried);
      }
    }
  }

  private requestOnce<K extends UnaryRequestKind>(
    peerId: string,
    msg: RequestMessage<K>,
    opts: RequestCallOptions,
  ): Promise<ResponseBody<K>> {
    const s = this.session(peerId);
    if (!s) return Promise.reject(new NotConnectedError(peerId));
    this.countMessage('out', msg.kind);
    return s.request(msg as unknown as OutgoingMessage, {
      timeoutMs: opts.timeoutMs ?? this.requestTimeoutMs,
      expect: RESPONSE_OF[msg.kind],
      bodyOnly: true,
      ...(opts.signal ? { signal: opts.signal } : {}),
    }) as Promise<ResponseBody<K>>;
  }

  private nextTarget(
    current: string | undefined,
    fallback: RequestCallOptions['fallback'],
    tried: Set<string>,
  ) {
    if (fallback === 'same' || fallback === undefined) return current;
    const pool = fallback === 'any' ? this.liveSessions().map((s) => s.peerId) : fallback;
    const fresh = pool.filter((p) => !tried.has(p) && this.session(p) !== undefined);
    if (fresh.length === 0) return current !== undefined && this.session(current) ? current : undefined;
    return fresh[Math.floor(Math.random() * fresh.length)];
  }

  /**
   * Streams the answer to a getBlockRange request: an async iterable of BlockRangeChunk
   * bodies that ends at BlockRangeEnd. At most limits.streamBufferChunks chunks are
   * buffered; then the connection stops reading until the consumer catches up. Breaking out
   * of the loop cancels the request. Errors are thrown from the iteration.
   */
  stream(
    peerId: string,
    msg: RequestMessage<StreamRequestKind>,
    opts: StreamCallOptions = {},
  ): AsyncIterableIterator<KindBodies['blockRangeChunk']> {
    const controller = new AbortController();
    const userSignal = opts.signal;
    const s = this.session(peerId);
    const key = `stream:${++streamCounter}`;
    const idleTimeoutMs = opts.timeoutMs ?? this.requestTimeoutMs;
    const stream = new ChunkStream<KindBodies['blockRangeChunk']>({
      peerId,
      kind: msg.kind,
      bufferChunks: this.streamBufferChunks,
      idleTimeoutMs,
      pause: () => s?.connection.pause(key),
      resume: () => s?.connection.resume(key),
      cancel: (reason) => controller.abort(reason),
    });
    if (!s) {
      stream.fail(new NotConnectedError(peerId));
      return stream;
    }
    const onUserAbort = () => controller.abort(userSignal?.reason);
    if (userSignal?.aborted) onUserAbort();
    else userSignal?.addEventListener('abort', onUserAbort, { once: true });
    this.countMessage('out', msg.kind);
    s.request(msg as unknown as OutgoingMessage, {
      timeoutMs: MAX_TIMER_MS,
      signal: controller.signal,
      chunk: (frame) => stream.push(frame.body as KindBodies['blockRangeChunk']),
    }).then(
      () => {
        userSignal?.removeEventListener('abort', onUserAbort);
        stream.end();
      },
      (error: unknown) => {
        userSignal?.removeEventListener('abort', onUserAbort);
        const reason = controller.signal.reason;
        stream.fail(
          error instanceof RequestAbortedError && reason instanceof RequestTimeoutError ? reason : error,
        );
      },
    );
    return stream;
  }

  /**
   * Encodes `msg` once and queues it to every live peer except `except`. A peer whose write
   * queue is over its bound is skipped (and disconnected as too slow if it stays there).
   * Returns the number of peers it was queued to.
   */
  broadcast(msg: OutgoingMessage, opts: { except?: readonly string[] } = {}): number {
    if (isRequestKind(msg.kind)) throw new TypeError(`${msg.kind} is a request kind: use query()`);
    const frame = this.encode({ ...msg, requestId: 0 } as OutgoingMessage);
    const except = opts.except ? new Set(opts.except) : undefined;
    let sent = 0;
    for (const s of this.liveSessions()) {
      if (except?.has(s.peerId)) continue;
      if (s.connection.tryWrite(frame)) sent++;
    }
    this.countMessage('out', msg.kind, sent);
    return sent;
  }

  /**
   * Sends the same request to many peers at once and settles per peer: the map holds an
   * answer or an error for each peer asked, never rejects as a whole.
   */
  async query<K extends UnaryRequestKind>(
    msg: RequestMessage<K>,
    opts: QueryOptions = {},
  ): Promise<Map<string, QueryResult<K>>> {
    const peers = opts.peers ?? this.liveSessions().map((s) => s.peerId);
    const entries = await Promise.all(
      peers.map(async (peerId): Promise<[string, QueryResult<K>]> => {
        const t0 = performance.now();
        try {
          const value = await this.request(peerId, msg, {
            ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
            ...(opts.signal ? { signal: opts.signal } : {}),
          });
          return [peerId, { ok: true, value, ms: performance.now() - t0 }];
        } catch (error) {
          return [peerId, { ok: false, error: error as Error, ms: performance.now() - t0 }];
        }
      }),
    );
    return new Map(entries);
  }
}

function retryable(error: unknown): boolean {
  return (
    error instanceof RequestTimeoutError ||
    error instanceof PeerDisconnectedError ||
    error instanceof RateLimitedError ||
    error instanceof QueueFullError ||
    error instanceof NotConnectedError
  );
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new RequestAbortedError(undefined, signal.reason));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    timer.unref();
    const onAbort = () => {
      clearTimeout(timer);
      reject(new RequestAbortedError(undefined, signal?.reason));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
