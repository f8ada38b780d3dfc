import {
  type DecodedFrame,
  type FrameHeader,
  FrameRefusedError,
  type KindBodies,
  type KnownFrame,
  type MessageKind,
} from '@tc/wire';
import { reasonName } from './disconnect-reason.js';
import { costOf, GOSSIP_KINDS, isRequestKind, RESPONSE_KINDS, type RequestKind } from './protocol.js';
import type { RateVerdict } from './response/dispatcher.js';
import type { Session } from './session.js';

/** A one-way message delivered to the application (`message` event). */
export type InboundMessage = {
  [K in MessageKind]: { readonly peerId: string; readonly kind: K; readonly body: KindBodies[K] };
}[MessageKind];

export interface RouterEnv {
  /** Hands a request to the response dispatcher (rate limit, in-flight bound, handler). */
  dispatch(session: Session, frame: KnownFrame & { kind: RequestKind }): void;
  rateCheck(peerId: string, kind: string, cost: number): RateVerdict;
  rateLimited(kind: string): void;
  penalize(session: Session, code: string, detail: string): void;
  /** The peer sent Disconnect: end the session without answering. */
  remoteDisconnect(session: Session, reason: string): void;
  emitMessage(msg: InboundMessage): void;
  countIn(kind: string): void;
  /** Answers request `requestId` with ErrorReply UNSUPPORTED (a kind this build does not serve). */
  unsupported(session: Session, requestId: number, detail: string): void;
  /** The peer cancelled its request `requestId`: stop answering it (a stream stops its chunks). */
  cancelInbound(session: Session, requestId: number): void;
}

/**
 * The first check of every frame of a session, from its Envelope header, before its body is
 * buffered (hostile finding 4: a peer could start an 8 MiB `blockRangeChunk` nobody asked for,
 * withhold its last byte and pin the memory until the ping timeout). A response kind is let in
 * only when a request of ours with its id is pending and takes that kind (or was cancelled
 * recently); `chainTip` with request id 0 is a tip announcement. A frame whose header does not
 * name its kind (metadata before the body: no current peer sends any) is let in only up to
 * `maxUnnamedBytes`. Anything else throws FrameRefusedError (FRAME_REFUSED: disconnect).
 * Returns whether the frame answers a request of ours (solicited).
 */
export function checkFrameHeader(session: Session, header: FrameHeader, maxUnnamedBytes: number): boolean {
  const { kind, requestId, length } = header;
  if (kind === undefined) {
    if (length > maxUnnamedBytes) {
      throw new FrameRefusedError(kind, requestId, length, 'the header does not name the kind');
    }
    return false;
  }
  if (!RESPONSE_KINDS.has(kind)) return false;
  if (requestId === 0) {
    if (kind === 'chainTip') return false;
    throw new FrameRefusedError(kind, requestId, length, 'a response kind without a request id');
  }
  if (!session.acceptsResponse(requestId, kind)) {
    throw new FrameRefusedError(kind, requestId, length, 'no request of ours takes it');
  }
  return true;
}

/**
 * Central routing of every frame of an authenticated session, before any handler runs:
 * responses to the pending map (by request id), requests to the dispatcher, gossip to the
 * application after rate limiting, and everything else to the error table.
 */
export function routeFrame(env: RouterEnv, session: Session, frame: DecodedFrame): void {
  if (session.state !== 'active') return;
  env.countIn(frame.kind);
  if (frame.kind === 'unknown') {
    // A newer peer's kind: counted (ignore) and skipped. With a request id it is a request
    // (we never ask for a kind we do not know): answer UNSUPPORTED, so it fails fast instead of
    // timing out.
    if (!gossipAllowed(env, session, 'unknown', 1)) return;
    env.penalize(session, 'UNKNOWN_KIND', `field ${frame.fieldNumber}`);
    if (frame.requestId !== 0)
      env.unsupported(session, frame.requestId, `unknown kind (field ${frame.fieldNumber})`);
    return;
  }
  if (frame.kind === 'disconnect') {
    env.remoteDisconnect(session, reasonName(frame.body.reason));
    return;
  }
  if (frame.requestId !== 0 && RESPONSE_KINDS.has(frame.kind)) {
    session.onResponse(frame);
    return;
  }
  if (isRequestKind(frame.kind)) {
    if (frame.requestId === 0) {
      env.penalize(session, 'INVALID_REQUEST', `${frame.kind} without a request id`);
      return;
    }
    env.dispatch(session, frame as KnownFrame & { kind: RequestKind });
    return;
  }
  if (GOSSIP_KINDS.has(frame.kind)) {
    if (!gossipAllowed(env, session, frame.kind, costOf(frame))) return;
    env.emitMessage({ peerId: session.peerId, kind: frame.kind, body: frame.body } as InboundMessage);
    return;
  }
  switch (frame.kind) {
    case 'hello':
    case 'helloAck':
      env.penalize(session, 'UNEXPECTED_RESPONSE', `${frame.kind} after the handshake`);
      return;
    case 'cancel':
      // Names the peer's own request; an id with nothing running (finished already) is a no-op.
      if (!gossipAllowed(env, session, frame.kind, 1)) return;
      if (frame.requestId !== 0) env.cancelInbound(session, frame.requestId);
      return;
    case 'chainTip':
      // Unsolicited tip announcement (request id 0).
      if (!gossipAllowed(env, session, frame.kind, 1)) return;
      session.updateTip(frame.body);
      env.emitMessage({ peerId: session.peerId, kind: frame.kind, body: frame.body });
      return;
    default:
      env.penalize(session, 'UNEXPECTED_RESPONSE', `${frame.kind} without a request id`);
  }
}

function gossipAllowed(env: RouterEnv, session: Session, kind: string, cost: number): boolean {
  const verdict = env.rateCheck(session.peerId, kind, cost);
  if (verdict === 'allow') return true;
  env.rateLimited(kind);
  env.penalize(session, verdict === 'abuse' ? 'RATE_LIMIT_ABUSE' : 'RATE_LIMITED', kind);
  return false;
}
