import { tc } from './gen/wire.js';
import type { KindBodies, KindInputs, MessageKind } from './kinds.js';

/** The generated protobuf namespace `tc.v1` (message classes and enums). */
export const pb = tc.v1;
export type { tc };

/** A message to encode: a kind, its body and an optional request id (0 = none). */
export type OutgoingMessage = {
  [K in MessageKind]: { readonly kind: K; readonly body: KindInputs[K]; readonly requestId?: number };
}[MessageKind];

/** A decoded frame whose kind this build knows. */
export type KnownFrame = {
  [K in MessageKind]: {
    readonly kind: K;
    readonly requestId: number;
    readonly body: KindBodies[K];
    /** Bytes on the wire, length prefix included. */
    readonly frameBytes: number;
  };
}[MessageKind];

/**
 * A frame whose body kind this build does not know (a newer peer's message). It is
 * delivered as a value, not thrown: the receiver decides whether to ignore it.
 */
export interface UnknownFrame {
  readonly kind: 'unknown';
  readonly requestId: number;
  /** Envelope field number of the unknown body, when it could be read. */
  readonly fieldNumber: number | undefined;
  readonly frameBytes: number;
}

export type DecodedFrame = KnownFrame | UnknownFrame;

/** Builds an OutgoingMessage with the body type checked against the kind. */
export function message<K extends MessageKind>(kind: K, body: KindInputs[K], requestId = 0): OutgoingMessage {
  return { kind, body, requestId } as OutgoingMessage;
}

/** Narrows a decoded frame to one kind. */
export function isKind<K extends MessageKind>(
  frame: DecodedFrame,
  kind: K,
): frame is Extract<KnownFrame, { kind: K }> {
  return frame.kind === kind;
}
