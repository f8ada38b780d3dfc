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
import type { PendingRequest, RequestTracker } from './request-tracker.js';

export type RequestOutcome =
  | 'ok'
  | 'timeout'
  | 'remote_error'
  | 'rate_limited'
  | 'aborted'
  | 'disconnected'
  | 'queue_full';

/** Where a call reports its end (metrics, timeout penalties). */
export interface CallOwner {
  readonly peerId: string;
  readonly tracker: RequestTracker;
  callDone(call: Call, outcome: RequestOutcome): void;
}

/**
 * One outbound request in flight: its promise, its own timer and its abort listener. One
 * object per request (the timer and the listener use it directly, no closures), because
 * this is the hot path of every request/response.
 */
export class Call implements PendingRequest {
  readonly promise: Promise<unknown>;
  chunk?: (frame: KnownFrame) => void;
  private resolve!: (value: unknown) => void;
  private reject!: (error: Error) => void;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly owner: CallOwner,
    readonly id: number,
    readonly kind: string,
    readonly expect: string | undefined,
    private readonly timeoutMs: number,
    private readonly signal: AbortSignal | undefined,
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
    if (this.owner.tracker.take(this.id, true) === undefined) return;
    this.finish('aborted');
    this.reject(new RequestAbortedError(this.owner.peerId, this.signal?.reason));
  }

  timedOut(): void {
    this.timer = undefined;
    if (this.owner.tracker.take(this.id, true) === undefined) return;
    this.finish('timeout');
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

  private finish(outcome: RequestOutcome): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.signal?.removeEventListener('abort', this);
    this.owner.callDone(this, outcome);
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
