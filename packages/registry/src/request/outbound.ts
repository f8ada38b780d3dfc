import {
  encodeFrame,
  type KindBodies,
  type KnownFrame,
  type OutgoingMessage,
  type WireLimits,
} from '@tc/wire';
import { ERROR_REPLY_CODES, PeerDisconnectedError, QueueFullError, RemoteError } from '../errors.js';
import { STREAM_KINDS } from '../protocol.js';
import { Call, type CallOwner, type RequestOutcome } from './call.js';
import { RequestTracker } from './request-tracker.js';

/** First delay before resending a request answered BUSY when none of ours is in flight. */
const BUSY_RETRY_BASE_MS = 10;
const BUSY_RETRY_MAX_MS = 1_000;

export interface OutboundEnv {
  readonly peerId: string;
  /** Our requests in flight to the peer at most (limits.maxInflightOutboundPerPeer). */
  readonly maxInflight: number;
  /** Requests waiting here for a slot at most (limits.maxQueuedRequestsPerPeer). */
  readonly maxQueued: number;
  readonly wireLimits: WireLimits;
  isOpen(): boolean;
  /** A response to no request of ours, or of the wrong kind (the error table decides). */
  badResponse(code: 'UNEXPECTED_RESPONSE' | 'INVALID_RESPONSE', detail: string): void;
  /** The peer answered our getChainTip: its tip. */
  tipAnswered(body: KindBodies['chainTip']): void;
  /** Queues a frame if it fits under the write-queue bound now. */
  tryWrite(frame: Uint8Array): boolean;
  /** Queues a frame, waiting for drain (rejects QueueFullError / PeerDisconnectedError). */
  write(frame: Uint8Array, signal?: AbortSignal): Promise<void>;
  done(kind: string, outcome: RequestOutcome, startMs: number, charged: boolean): void;
}

export interface SendOptions {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  expect?: string | undefined;
  chunk?: ((frame: KnownFrame) => void) | undefined;
  bodyOnly?: boolean | undefined;
  /** Skips the window and the waiting queue (liveness pings and probes: one at a time each). */
  urgent?: boolean | undefined;
}

/**
 * The outbound requests of one session: the pending map (by request id), a bounded FIFO of
 * requests waiting for an in-flight slot, and a window ≤ maxInflight that BUSY replies shrink
 * and answers grow again. A BUSY reply is back-pressure, not a failure: the request goes back
 * to the head of the queue and is sent again with a new id when a slot frees (or after a short
 * delay when none of ours is in flight), within its own timeout. A timeout while a request
 * waits here is never charged to the peer.
 */
export class Outbound implements CallOwner {
  /** The pending map, by request id: this class is its only writer. */
  private readonly tracker: RequestTracker;
  private readonly waiting = new Set<Call>();
  private window: number;
  private retryTimer: NodeJS.Timeout | undefined;
  private pumping = false;

  constructor(private readonly env: OutboundEnv) {
    this.tracker = new RequestTracker(env.maxInflight);
    this.window = env.maxInflight;
  }

  get peerId(): string {
    return this.env.peerId;
  }

  /** Requests in flight (sent, not answered). */
  get inFlight(): number {
    return this.tracker.size;
  }

  /**
   * Routes a response-kind frame to its pending request. A frame for an id we cancelled is
   * dropped silently; one for an id we never used is UNEXPECTED_RESPONSE; a response of the
   * wrong kind fails its request and is INVALID_RESPONSE. A BUSY reply puts the request back.
   */
  onResponse(frame: KnownFrame): void {
    const id = frame.requestId;
    const pending = this.tracker.get(id) as Call | undefined;
    if (pending === undefined) {
      if (!this.tracker.wasCancelled(id))
        this.env.badResponse('UNEXPECTED_RESPONSE', `${frame.kind} for unknown request ${id}`);
      return;
    }
    if (pending.chunk && frame.kind === STREAM_KINDS.chunk) {
      pending.chunk(frame);
      return;
    }
    if (Outbound.isBusy(frame)) {
      this.busy(pending); // back-pressure: sent again when a slot frees
      return;
    }
    const expected = pending.chunk ? STREAM_KINDS.end : pending.expect;
    this.tracker.take(id);
    if (frame.kind === 'chainTip' && pending.kind === 'getChainTip') this.env.tipAnswered(frame.body);
    if (frame.kind !== 'error' && expected !== undefined && frame.kind !== expected) {
      pending.fail(new RemoteError(this.env.peerId, 0, `answered ${pending.kind} with ${frame.kind}`));
      this.env.badResponse('INVALID_RESPONSE', `${frame.kind} answering ${pending.kind}`);
      return;
    }
    pending.settle(frame);
  }

  /**
   * Whether a response frame of `kind` for request `id` may be taken in, judged from its
   * header before its body is buffered: a request of ours with that id is pending and takes
   * that kind (or an ErrorReply), or it is one we cancelled recently (its late answer is
   * dropped after decoding).
   */
  acceptsResponse(id: number, kind: string): boolean {
    const pending = this.tracker.get(id);
    if (pending === undefined) return this.tracker.wasCancelled(id);
    if (kind === 'error') return true;
    if (pending.chunk) return kind === STREAM_KINDS.chunk || kind === STREAM_KINDS.end;
    return pending.expect === undefined || kind === pending.expect;
  }

  /** Requests waiting for a slot. */
  get queued(): number {
    return this.waiting.size;
  }

  /** Sends `msg` now, or queues it for a slot. Throws the encoder's error synchronously. */
  send(msg: OutgoingMessage, opts: SendOptions): Promise<unknown> {
    const { env } = this;
    const direct = opts.urgent === true || (this.waiting.size === 0 && this.tracker.size < this.window);
    if (!direct && this.waiting.size >= env.maxQueued) {
      env.done(msg.kind, 'queue_full', Date.now(), false);
      return Promise.reject(new QueueFullError(env.peerId, 'inflight'));
    }
    // Encoded now even when queued, so a frame over its limit throws here, to the caller.
    const id = direct ? this.tracker.allocate() : 0;
    const frame = encodeFrame(
      { kind: msg.kind, body: msg.body, requestId: id } as OutgoingMessage,
      env.wireLimits,
    );
    const call = new Call(
      this,
      msg.kind,
      msg.body,
      opts.expect,
      opts.timeoutMs,
      opts.signal,
      opts.bodyOnly === true,
    );
    if (opts.chunk) call.chunk = opts.chunk;
    call.id = id;
    if (direct) this.transmit(call, frame);
    else this.waiting.add(call);
    return call.promise;
  }

  private transmit(call: Call, frame?: Uint8Array): void {
    let bytes = frame;
    if (bytes === undefined) {
      call.id = this.tracker.allocate();
      try {
        bytes = encodeFrame(
          { kind: call.kind, body: call.body, requestId: call.id } as OutgoingMessage,
          this.env.wireLimits,
        );
      } catch (error) {
        call.id = 0;
        call.fail(error as Error);
        return;
      }
    }
    const id = call.id;
    this.tracker.add(call);
    if (this.env.tryWrite(bytes)) return;
    this.env.write(bytes, call.signal).catch((error: Error) => {
      if (this.tracker.get(id) === call && this.tracker.take(id, true)) call.fail(error);
    });
  }

  /** Sends waiting requests while the window has room. */
  pump(): void {
    if (this.pumping || !this.env.isOpen()) return;
    this.pumping = true;
    try {
      for (const call of this.waiting) {
        if (this.tracker.size >= this.window) return;
        this.waiting.delete(call);
        this.transmit(call);
      }
    } finally {
      this.pumping = false;
    }
  }

  release(call: Call): 'inflight' | 'waiting' | undefined {
    if (call.id !== 0 && this.tracker.get(call.id) === call) {
      this.tracker.take(call.id, true);
      // A stream given up (break, abort, idle timeout): the peer stops sending its chunks.
      if (call.chunk !== undefined && this.env.isOpen()) {
        this.env.tryWrite(encodeFrame({ kind: 'cancel', body: {}, requestId: call.id }, this.env.wireLimits));
      }
      return 'inflight';
    }
    return this.waiting.delete(call) ? 'waiting' : undefined;
  }

  callDone(call: Call, outcome: RequestOutcome, charged: boolean): void {
    this.env.done(call.kind, outcome, call.startMs, charged);
    const answered = outcome === 'ok' || outcome === 'remote_error' || outcome === 'rate_limited';
    if (answered && this.window < this.env.maxInflight) this.window++;
    if (this.waiting.size > 0) this.pump();
  }

  /**
   * ErrorReply BUSY for a pending call: the peer is at its bound of our requests in flight.
   * The call goes back to the head of the queue (it keeps its timer) and the window shrinks
   * to what is still in flight, so the rest wait here instead of drawing more BUSY replies.
   */
  busy(call: Call): void {
    this.tracker.take(call.id);
    call.id = 0;
    call.busyCount++;
    this.window = Math.max(1, Math.min(this.window, this.tracker.size));
    const rest = [...this.waiting];
    this.waiting.clear();
    this.waiting.add(call);
    for (const c of rest) this.waiting.add(c);
    if (this.tracker.size > 0 || this.retryTimer) return; // an answer will pump
    const delay = Math.min(BUSY_RETRY_MAX_MS, BUSY_RETRY_BASE_MS * 2 ** Math.min(call.busyCount - 1, 10));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.pump();
    }, delay);
    this.retryTimer.unref();
  }

  /** Whether an ErrorReply is BUSY (back-pressure, see `busy`). */
  static isBusy(frame: KnownFrame): boolean {
    return frame.kind === 'error' && frame.body.code === ERROR_REPLY_CODES.BUSY;
  }

  /** The session ended: every request, in flight or waiting, rejects at once. */
  failAll(reason: string): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const waiting = [...this.waiting];
    this.waiting.clear();
    this.tracker.failAll(() => new PeerDisconnectedError(this.env.peerId, reason));
    for (const call of waiting) call.fail(new PeerDisconnectedError(this.env.peerId, reason));
  }
}
