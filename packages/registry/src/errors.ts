import { ERROR_REPLY_CODES, type ErrorReplyCodeName, errorReplyCodeName } from '@tc/wire';

/**
 * Errors the registry gives to its callers. One class per concern, each with a typed
 * string `code` that is safe to switch on. Errors a *peer* causes (and what we do to it)
 * are codes of the ErrorActionTable, see `src/peer-score/error-actions.ts`.
 */

// ErrorReply codes are part of the protocol: defined in @tc/wire (wire.proto's ErrorCode).
export { ERROR_REPLY_CODES, type ErrorReplyCodeName, errorReplyCodeName } from '@tc/wire';

export type RequestErrorCode =
  | 'REQUEST_TIMEOUT'
  | 'PEER_DISCONNECTED'
  | 'REMOTE_ERROR'
  | 'RATE_LIMITED'
  | 'QUEUE_FULL'
  | 'NOT_CONNECTED'
  | 'ABORTED';

/** Base class of every error `send`, `request`, `stream` and `query` reject with. */
export class RequestError extends Error {
  readonly code: RequestErrorCode;
  /** The peer the failed attempt went to (the last one when retries moved between peers). */
  readonly peerId: string | undefined;
  constructor(code: RequestErrorCode, message: string, peerId?: string, options?: { cause?: unknown }) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.peerId = peerId;
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/** No response within `timeoutMs`. Only this request was cancelled; others to the peer go on. */
export class RequestTimeoutError extends RequestError {
  constructor(
    peerId: string,
    readonly kind: string,
    readonly timeoutMs: number,
  ) {
    super('REQUEST_TIMEOUT', `${kind} to ${short(peerId)} timed out after ${timeoutMs} ms`, peerId);
  }
}

/** The session ended while the request was pending; every pending request of the peer gets this. */
export class PeerDisconnectedError extends RequestError {
  constructor(
    peerId: string,
    readonly reason: string,
  ) {
    super('PEER_DISCONNECTED', `peer ${short(peerId)} disconnected (${reason})`, peerId);
  }
}

/** The peer answered with an ErrorReply. */
export class RemoteError extends RequestError {
  readonly replyCode: number;
  readonly replyName: ErrorReplyCodeName | undefined;
  readonly remoteMessage: string;
  constructor(
    peerId: string,
    replyCode: number,
    remoteMessage: string,
    code: RequestErrorCode = 'REMOTE_ERROR',
  ) {
    const name = errorReplyCodeName(replyCode);
    super(code, `peer ${short(peerId)} replied ${name ?? replyCode}: ${remoteMessage}`, peerId);
    this.replyCode = replyCode;
    this.replyName = name;
    this.remoteMessage = remoteMessage;
  }
}

/** The peer refused the request as over its rate quota (or over its in-flight bound). */
export class RateLimitedError extends RemoteError {
  constructor(peerId: string, replyCode: number, remoteMessage: string) {
    super(peerId, replyCode, remoteMessage, 'RATE_LIMITED');
  }
}

/** A local bound is full: in-flight requests to the peer, or its write queue did not drain in time. */
export class QueueFullError extends RequestError {
  constructor(
    peerId: string,
    readonly bound: 'inflight' | 'write-queue' | 'stream',
  ) {
    super('QUEUE_FULL', `${bound} bound reached for ${short(peerId)}`, peerId);
  }
}

/** There is no live session with the peer (or no peer was eligible). */
export class NotConnectedError extends RequestError {
  constructor(peerId: string | undefined) {
    super('NOT_CONNECTED', peerId ? `not connected to ${short(peerId)}` : 'no connected peer', peerId);
  }
}

/** The caller's AbortSignal fired. Only this request was cancelled. */
export class RequestAbortedError extends RequestError {
  constructor(peerId: string | undefined, reason?: unknown) {
    super('ABORTED', 'request aborted', peerId, { cause: reason });
  }
}

export type DialErrorCode =
  | 'DIAL_TIMEOUT'
  | 'DIAL_FAILED'
  | 'DIAL_QUEUE_FULL'
  | 'DIAL_REFUSED'
  | 'BAD_ADDRESS'
  | 'REGISTRY_STOPPED';

/** A dial failed before a session existed. `cause` carries the socket or handshake error. */
export class DialError extends Error {
  readonly code: DialErrorCode;
  constructor(
    code: DialErrorCode,
    readonly address: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`dial ${address}: ${message}`);
    this.name = 'DialError';
    this.code = code;
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/**
 * Throw this from a request handler to answer with a specific ErrorReply code; any other
 * thrown value is answered as INTERNAL (its message is not sent).
 */
export class HandlerError extends Error {
  readonly replyCode: number;
  constructor(code: ErrorReplyCodeName | number, message: string) {
    super(message);
    this.name = 'HandlerError';
    this.replyCode = typeof code === 'number' ? code : ERROR_REPLY_CODES[code];
  }
}

export function short(peerId: string): string {
  return peerId.length > 12 ? peerId.slice(0, 12) : peerId;
}
