import {
  encodeFrame,
  type KnownFrame,
  type OutgoingMessage,
  type tc,
  u64ToBigInt,
  type WireLimits,
} from '@tc/wire';
import type { Attempt } from './attempt.js';
import type { Connection } from './connection.js';
import {
  ERROR_REPLY_CODES,
  PeerDisconnectedError,
  QueueFullError,
  RateLimitedError,
  RemoteError,
  RequestAbortedError,
  RequestTimeoutError,
} from './errors.js';
import type { PendingRequest } from './request/request-tracker.js';
import { RequestTracker } from './request/request-tracker.js';

export type Direction = 'inbound' | 'outbound';

export interface PeerTip {
  readonly height: bigint;
  readonly hash: Uint8Array;
}

/** What the registry tells a session about the outcome of each of its requests. */
export interface SessionHooks {
  requestDone(session: Session, kind: string, outcome: RequestOutcome, startMs: number): void;
  /** A response that matches no pending request, or the wrong kind for it. */
  badResponse(session: Session, code: 'UNEXPECTED_RESPONSE' | 'INVALID_RESPONSE', detail: string): void;
}

export type RequestOutcome =
  | 'ok'
  | 'timeout'
  | 'remote_error'
  | 'rate_limited'
  | 'aborted'
  | 'disconnected'
  | 'queue_full';

export interface RequestOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Response kind expected for a unary request; undefined for streams. */
  expect?: string;
  /** For streams: each chunk. Returning normally keeps the stream open. */
  chunk?: (frame: KnownFrame) => void;
  /** For streams: the timeout restarts on every chunk (idle timeout) when true. */
  idle?: boolean;
}

export interface SessionInit {
  readonly peerId: string;
  readonly generation: number;
  readonly direction: Direction;
  readonly address: string;
  readonly dialable: boolean;
  readonly hello: tc.v1.Hello;
  /** Dedup key: dialer node id ‖ dialer hello nonce (hex); the lowest key survives. */
  readonly dedupKey: string;
  readonly connection: Connection;
  readonly maxInflightOutbound: number;
  readonly sendDrainTimeoutMs: number;
  readonly wireLimits: WireLimits;
  readonly hooks: SessionHooks;
}

/**
 * One authenticated connection to one peer, identified by node id and a generation number
 * that is unique per registry. Owns the pending-request map of that connection: a response
 * settles only the request with its id, and a timeout or abort cancels only that request.
 */
export class Session {
  readonly peerId: string;
  readonly generation: number;
  readonly direction: Direction;
  readonly address: string;
  readonly dialable: boolean;
  readonly hello: tc.v1.Hello;
  readonly dedupKey: string;
  readonly connection: Connection;
  readonly tracker: RequestTracker;
  state: 'parked' | 'active' | 'closed' = 'parked';
  connectedAtMs = 0;
  rttMs: number | undefined;
  inboundInflight = 0;
  missedPongs = 0;
  pingOutstanding = false;
  tip: PeerTip;
  /** Attempts this session waits for while parked. */
  readonly racing = new Set<Attempt>();
  pingTimer: NodeJS.Timeout | undefined;
  /** Aborted when the session ends (handler contexts use it). */
  readonly lifetime = new AbortController();
  private readonly init: SessionInit;

  constructor(init: SessionInit) {
    this.init = init;
    this.peerId = init.peerId;
    this.generation = init.generation;
    this.direction = init.direction;
    this.address = init.address;
    this.dialable = init.dialable;
    this.hello = init.hello;
    this.dedupKey = init.dedupKey;
    this.connection = init.connection;
    this.tracker = new RequestTracker(init.maxInflightOutbound);
    this.tip = { height: u64ToBigInt(init.hello.tipHeight), hash: init.hello.tipHash };
  }

  get open(): boolean {
    return this.state !== 'closed' && this.connection.writable;
  }

  /** Records an RTT sample in the moving average (EWMA, α = 0.2). */
  sampleRtt(ms: number): void {
    this.rttMs = this.rttMs === undefined ? ms : this.rttMs * 0.8 + ms * 0.2;
  }

  /**
   * Queues an encoded frame, waiting up to `sendDrainTimeoutMs` for room when the write
   * queue is over its bound. Rejects QueueFullError if it never drains (the connection's
   * stall timer then disconnects the peer as too slow).
   */
  async write(frame: Uint8Array, signal?: AbortSignal): Promise<void> {
    if (!this.open) throw new PeerDisconnectedError(this.peerId, 'closed');
    if (this.connection.tryWrite(frame)) return;
    const ok = await this.connection.waitForRoom(frame.length, this.init.sendDrainTimeoutMs);
    if (signal?.aborted) throw new RequestAbortedError(this.peerId, signal.reason);
    // Not drained in time (the stall timer may have closed the session for it already).
    if (!ok) throw new QueueFullError(this.peerId, 'write-queue');
    if (!this.open) throw new PeerDisconnectedError(this.peerId, 'closed');
    if (!this.connection.tryWrite(frame)) throw new QueueFullError(this.peerId, 'write-queue');
  }

  /** Encodes and sends one request; resolves with the response frame matched by request id. */
  request(msg: OutgoingMessage, opts: RequestOptions): Promise<KnownFrame> {
    if (opts.signal?.aborted) return Promise.reject(new RequestAbortedError(this.peerId, opts.signal.reason));
    if (!this.open) return Promise.reject(new PeerDisconnectedError(this.peerId, 'closed'));
    if (this.tracker.full) {
      this.init.hooks.requestDone(this, msg.kind, 'queue_full', Date.now());
      return Promise.reject(new QueueFullError(this.peerId, 'inflight'));
    }
    const id = this.tracker.allocate();
    const frame = encodeFrame({ ...msg, requestId: id } as OutgoingMessage, this.init.wireLimits);
    const startMs = Date.now();
    const kind = msg.kind;
    return new Promise<KnownFrame>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const signal = opts.signal;
      const finish = (outcome: RequestOutcome) => {
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.init.hooks.requestDone(this, kind, outcome, startMs);
      };
      const onAbort = () => {
        if (this.tracker.take(id, true) === undefined) return;
        finish('aborted');
        reject(new RequestAbortedError(this.peerId, signal?.reason));
      };
      const armTimer = () => {
        if (timer) clearTimeout(timer);
        timer = setTimeout(() => {
          if (this.tracker.take(id, true) === undefined) return;
          finish('timeout');
          reject(new RequestTimeoutError(this.peerId, kind, opts.timeoutMs));
        }, opts.timeoutMs);
        timer.unref();
      };
      const pending: PendingRequest = {
        id,
        kind,
        startMs,
        expect: opts.expect,
        settle: (response) => {
          if (response.kind === 'error') {
            const { code, message } = response.body;
            const rateLimited = code === ERROR_REPLY_CODES.RATE_LIMITED || code === ERROR_REPLY_CODES.BUSY;
            finish(rateLimited ? 'rate_limited' : 'remote_error');
            reject(
              rateLimited
                ? new RateLimitedError(this.peerId, code, message)
                : new RemoteError(this.peerId, code, message),
            );
            return;
          }
          finish('ok');
          resolve(response);
        },
        fail: (error) => {
          finish(outcomeOf(error));
          reject(error);
        },
      };
      if (opts.chunk) {
        const onChunk = opts.chunk;
        pending.chunk = (chunkFrame) => {
          if (opts.idle) armTimer();
          onChunk(chunkFrame);
        };
      }
      this.tracker.add(pending);
      armTimer();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.write(frame, signal).catch((error: Error) => {
        if (this.tracker.take(id, true) === undefined) return;
        pending.fail(error);
      });
    });
  }

  /** Cancels a pending request locally (a stream consumer stopped); late frames are dropped. */
  cancel(id: number): void {
    const pending = this.tracker.take(id, true);
    if (pending) pending.fail(new RequestAbortedError(this.peerId, 'cancelled'));
  }

  /**
   * Routes a response-kind frame to its pending request. A frame for an id we cancelled is
   * dropped silently; one for an id we never used is UNEXPECTED_RESPONSE.
   */
  onResponse(frame: KnownFrame, streamKinds: { chunk: string; end: string }): void {
    const id = frame.requestId;
    const pending = this.tracker.get(id);
    if (pending === undefined) {
      if (!this.tracker.wasCancelled(id)) {
        this.init.hooks.badResponse(this, 'UNEXPECTED_RESPONSE', `${frame.kind} for unknown request ${id}`);
      }
      return;
    }
    if (pending.chunk && frame.kind === streamKinds.chunk) {
      pending.chunk(frame);
      return;
    }
    const expected = pending.chunk ? streamKinds.end : pending.expect;
    this.tracker.take(id);
    if (frame.kind !== 'error' && expected !== undefined && frame.kind !== expected) {
      pending.fail(new RemoteError(this.peerId, 0, `answered ${pending.kind} with ${frame.kind}`));
      this.init.hooks.badResponse(this, 'INVALID_RESPONSE', `${frame.kind} answering ${pending.kind}`);
      return;
    }
    pending.settle(frame);
  }

  /** Rejects every pending request of this session at once. */
  failAll(reason: string): void {
    this.tracker.failAll(() => new PeerDisconnectedError(this.peerId, reason));
  }
}

function outcomeOf(error: Error): RequestOutcome {
  if (error instanceof PeerDisconnectedError) return 'disconnected';
  if (error instanceof QueueFullError) return 'queue_full';
  if (error instanceof RequestAbortedError) return 'aborted';
  return 'remote_error';
}
