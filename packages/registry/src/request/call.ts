import type { KnownFrame } from '@tc/wire';
import {
  ERROR_REPLY_CODES,
  PeerDisconnectedError,
  QueueFullError,
  RateLimitedError,
  RemoteError,
  RequestAbortedError,
  RequestTimeoutError,
} from '../errors.js';
import type { PendingRequest } from './request-tracker.js';

export type RequestOutcome =
  | 'ok'
  | 'timeout'
  | 'remote_error'
  | 'rate_limited'
  | 'aborted'
  | 'disconnected'
  | 'queue_full';

/** Where a call is kept until it ends, and where it reports its end (metrics, timeout penalties). */
export interface CallOwner {
  readonly peerId: string;
  /**
   * Takes the call out of the pending map ('inflight': the peer has it) or out of the local
   * waiting queue ('waiting'); undefined when it already ended.
   */
  release(call: Call): 'inflight' | 'waiting' | undefined;
  /** `charged`: the peer had the request when it timed out (so the timeout may be its fault). */
  callDone(call: Call, outcome: RequestOutcome, charged: boolean): void;
}

/**
 * One outbound request, waiting for a slot or in flight: its promise, its own timer (which
 * covers both) and its abort listener. One object per request (the timer and the listener
 * use it directly, no closures), because this is the hot path of every request/response.
 */
export class Call implements PendingRequest {
  readonly promise: Promise<unknown>;
  chunk?: (frame: KnownFrame) => void;
  /** Request id while in flight; 0 while waiting for a slot (a new id on every send). */
  id = 0;
  /** BUSY replies so far (each sends the request back to the waiting queue). */
  busyCount = 0;
  private resolve!: (value: unknown) => void;
  private reject!: (error: Error) => void;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly owner: CallOwner,
    readonly kind: string,
    /** The request body, encoded with a fresh id on each send. */
    readonly body: unknown,
    readonly expect: string | undefined,
    private readonly timeoutMs: number,
    readonly signal: AbortSignal | undefined,
    /** Resolve with the body (unary requests) instead of the whole frame. */
    private readonly bodyOnly: boolean,
  ) {
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.timer = setTimeout(onTimeout, timeoutMs, this);
    this.timer.unref();
    signal?.addEventListener('abort', this, { once: true });
  }

  readonly startMs = Date.now();

  /** AbortSignal listener (EventListenerObject). */
  handleEvent(): void {
    if (this.owner.release(this) === undefined) return;
    this.finish('aborted');
    this.reject(new RequestAbortedError(this.owner.peerId, this.signal?.reason));
  }

  timedOut(): void {
    this.timer = undefined;
    const where = this.owner.release(this);
    if (where === undefined) return;
    this.finish('timeout', where === 'inflight');
    this.reject(new RequestTimeoutError(this.owner.peerId, this.kind, this.timeoutMs));
  }

  settle(response: KnownFrame): void {
    if (response.kind === 'error') {
      const { code, message } = response.body;
      const limited = code === ERROR_REPLY_CODES.RATE_LIMITED || code === ERROR_REPLY_CODES.BUSY;
      this.finish(limited ? 'rate_limited' : 'remote_error');
      this.reject(
        limited
          ? new RateLimitedError(this.owner.peerId, code, message)
          : new RemoteError(this.owner.peerId, code, message),
      );
      return;
    }
    this.finish('ok');
    this.resolve(this.bodyOnly ? response.body : response);
  }

  fail(error: Error): void {
    this.finish(outcomeOf(error));
    this.reject(error);
  }

  private finish(outcome: RequestOutcome, charged = false): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.signal?.removeEventListener('abort', this);
    this.owner.callDone(this, outcome, charged);
  }
}

function onTimeout(call: Call): void {
  call.timedOut();
}

function outcomeOf(error: Error): RequestOutcome {
  if (error instanceof PeerDisconnectedError) return 'disconnected';
  if (error instanceof QueueFullError) return 'queue_full';
  if (error instanceof RequestAbortedError) return 'aborted';
  return 'remote_error';
}
