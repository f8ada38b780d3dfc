import {
  encodeFrame,
  type KindBodies,
  type KindInputs,
  type KnownFrame,
  message,
  type WireLimits,
} from '@tc/wire';
import { ERROR_REPLY_CODES, HandlerError } from '../errors.js';
import {
  costOf,
  RESPONSE_OF,
  type RequestKind,
  type ResponseInput,
  type StreamRequestKind,
  type UnaryRequestKind,
} from '../protocol.js';
import type { Session } from '../session.js';

export interface HandlerContext {
  /** Node id of the requesting peer. */
  readonly peerId: string;
  readonly requestId: number;
  /** Aborted when the peer's session ends; long handlers should stop then. */
  readonly signal: AbortSignal;
}

export type UnaryHandler<K extends UnaryRequestKind> = (
  body: KindBodies[K],
  ctx: HandlerContext,
) => ResponseInput<K> | Promise<ResponseInput<K>>;

/** Yields BlockRangeChunk bodies; the registry sends each, then BlockRangeEnd{sent}. */
export type StreamHandler = (
  body: KindBodies[StreamRequestKind],
  ctx: HandlerContext,
) =>
  | Iterable<KindInputs['blockRangeChunk']>
  | AsyncIterable<KindInputs['blockRangeChunk']>
  | Promise<Iterable<KindInputs['blockRangeChunk']> | AsyncIterable<KindInputs['blockRangeChunk']>>;

export type RequestHandler<K extends RequestKind> = K extends StreamRequestKind
  ? StreamHandler
  : K extends UnaryRequestKind
    ? UnaryHandler<K>
    : never;

export type RateVerdict = 'allow' | 'limit' | 'abuse';

export interface DispatchEnv {
  readonly wireLimits: WireLimits;
  readonly maxInflightInbound: number;
  rateCheck(peerId: string, kind: string, cost: number): RateVerdict;
  penalize(session: Session, code: string, detail: string): void;
  rateLimited(kind: string): void;
  signalOf(session: Session): AbortSignal;
}

/**
 * Inbound request dispatch: rate limit, in-flight bound, one handler per kind, and the
 * reply (the handler's value, a stream of chunks, or an ErrorReply for a thrown error).
 */
export class ResponseDispatcher {
  private readonly handlers = new Map<RequestKind, RequestHandler<RequestKind>>();
  /** Streams being answered, per session, by request id (at most maxInflightInbound each). */
  private readonly streams = new WeakMap<Session, Map<number, AbortController>>();

  constructor(private readonly env: DispatchEnv) {}

  /** Registers the handler of `kind`. Throws if one is registered already (one handler per kind). */
  handle<K extends RequestKind>(kind: K, handler: RequestHandler<K>, replace = false): void {
    if (this.handlers.has(kind) && !replace) throw new Error(`a handler for ${kind} is already registered`);
    this.handlers.set(kind, handler as unknown as RequestHandler<RequestKind>);
  }

  unhandle(kind: RequestKind): void {
    this.handlers.delete(kind);
  }

  dispatch(session: Session, frame: KnownFrame & { kind: RequestKind }): void {
    const { env } = this;
    const id = frame.requestId;
    const verdict = env.rateCheck(session.peerId, frame.kind, costOf(frame));
    if (verdict !== 'allow') {
      env.rateLimited(frame.kind);
      this.replyError(session, id, ERROR_REPLY_CODES.RATE_LIMITED, `${frame.kind} over rate quota`);
      env.penalize(session, verdict === 'abuse' ? 'RATE_LIMIT_ABUSE' : 'RATE_LIMITED', frame.kind);
      return;
    }
    const handler = this.handlers.get(frame.kind);
    if (handler === undefined) {
      this.replyError(session, id, ERROR_REPLY_CODES.UNSUPPORTED, `no handler for ${frame.kind}`);
      return;
    }
    if (session.inboundInflight >= env.maxInflightInbound) {
      this.replyError(session, id, ERROR_REPLY_CODES.BUSY, 'too many requests in flight');
      env.penalize(session, 'INBOUND_REQUEST_LIMIT', frame.kind);
      return;
    }
    const ctx: HandlerContext = { peerId: session.peerId, requestId: id, signal: env.signalOf(session) };
    if (frame.kind === 'getBlockRange') {
      session.inboundInflight++;
      void this.runStream(session, handler as StreamHandler, frame.body, ctx).finally(() => {
        session.inboundInflight--;
      });
      return;
    }
    const kind = frame.kind as UnaryRequestKind;
    let result: unknown;
    try {
      result = (handler as (body: unknown, ctx: HandlerContext) => unknown)(frame.body, ctx);
    } catch (error) {
      this.replyThrown(session, id, error);
      return;
    }
    if (isThenable(result)) {
      session.inboundInflight++;
      result
        .then(
          (value) => this.reply(session, id, kind, value),
          (error: unknown) => this.replyThrown(session, id, error),
        )
        .finally(() => {
          session.inboundInflight--;
        });
      return;
    }
    const waiting = this.reply(session, id, kind, result);
    if (waiting) {
      session.inboundInflight++;
      void waiting.finally(() => {
        session.inboundInflight--;
      });
    }
  }

  /**
   * Queues the response. Returns a promise only when the write queue is over its bound and
   * the reply has to wait for room (bounded by sendDrainTimeoutMs); the caller counts that
   * wait as in flight, so a peer that does not read cannot pile up waiting replies.
   */
  private reply(
    session: Session,
    id: number,
    kind: UnaryRequestKind,
    value: unknown,
  ): Promise<void> | undefined {
    if (!session.open) return undefined;
    let frame: Uint8Array;
    try {
      frame = encodeFrame(message(RESPONSE_OF[kind], (value ?? {}) as never, id), this.env.wireLimits);
    } catch (error) {
      this.replyThrown(session, id, error);
      return undefined;
    }
    if (session.connection.tryWrite(frame)) return undefined;
    return session.write(frame).catch(() => undefined);
  }

  /** The peer cancelled request `id` (a `cancel` frame): its stream stops before its next chunk. */
  cancel(session: Session, id: number): void {
    this.streams.get(session)?.get(id)?.abort(new Error('cancelled by the requester'));
  }

  private async runStream(
    session: Session,
    handler: StreamHandler,
    body: KindBodies[StreamRequestKind],
    sessionCtx: HandlerContext,
  ): Promise<void> {
    let sent = 0;
    const cancelled = new AbortController();
    let running = this.streams.get(session);
    if (running === undefined) {
      running = new Map();
      this.streams.set(session, running);
    }
    running.set(sessionCtx.requestId, cancelled);
    // The handler sees one signal: the session ended, or the requester cancelled.
    const ctx = { ...sessionCtx, signal: AbortSignal.any([sessionCtx.signal, cancelled.signal]) };
    try {
      const source = await handler(body, ctx);
      for await (const chunk of source) {
        if (!session.open || cancelled.signal.aborted) return; // a cancelled stream ends unanswered
        if (sent >= body.count) break; // a handler never sends more than was asked for
        const frame = encodeFrame(message('blockRangeChunk', chunk, ctx.requestId), this.env.wireLimits);
        await session.write(frame);
        sent += chunk.blocks?.length ?? 0;
        if (cancelled.signal.aborted) return; // before the handler is asked for another chunk
      }
      if (!session.open) return;
      await session.write(
        encodeFrame(message('blockRangeEnd', { sent }, ctx.requestId), this.env.wireLimits),
      );
    } catch (error) {
      if (session.open && !cancelled.signal.aborted) this.replyThrown(session, ctx.requestId, error);
    } finally {
      running.delete(sessionCtx.requestId);
    }
  }

  private replyThrown(session: Session, id: number, error: unknown): void {
    if (error instanceof HandlerError) this.replyError(session, id, error.replyCode, error.message);
    else this.replyError(session, id, ERROR_REPLY_CODES.INTERNAL, 'internal error');
  }

  replyError(session: Session, id: number, code: number, text: string): void {
    if (!session.open) return;
    const frame = encodeFrame(
      message('error', { code, message: text.slice(0, 512) }, id),
      this.env.wireLimits,
    );
    session.connection.writeControl(frame);
  }
}

function isThenable(value: unknown): value is Promise<unknown> {
  return (
    typeof value === 'object' && value !== null && typeof (value as Promise<unknown>).then === 'function'
  );
}
