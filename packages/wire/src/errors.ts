import type { MessageKind } from './kinds.js';

export type WireErrorCode = 'FRAME_TOO_LARGE' | 'MALFORMED_FRAME' | 'DECODER_BROKEN' | 'FRAME_REFUSED';

/** Base class of every error @tc/wire throws. `code` is stable and safe to switch on. */
export class WireError extends Error {
  readonly code: WireErrorCode;
  constructor(code: WireErrorCode, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

export type FrameDirection = 'encode' | 'decode';

/**
 * A frame is larger than the limit for the whole stream or for its kind.
 * On decode it is raised from the length prefix (and at most 16 bytes of envelope
 * header), before the frame is buffered.
 */
export class FrameTooLargeError extends WireError {
  constructor(
    readonly direction: FrameDirection,
    readonly length: number,
    readonly limit: number,
    readonly kind?: MessageKind,
  ) {
    super(
      'FRAME_TOO_LARGE',
      `${direction === 'encode' ? 'refusing to encode' : 'received'} a ${length}-byte frame` +
        `${kind ? ` of kind ${kind}` : ''}; the limit is ${limit} bytes`,
    );
  }
}

/** The bytes of a frame are not a valid Envelope (bad varint, truncated field, bad UTF-8, ...). */
export class MalformedFrameError extends WireError {
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super('MALFORMED_FRAME', `malformed frame: ${reason}`);
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/** The decoder already failed once; the byte stream cannot be resynchronised. Close the connection. */
export class DecoderBrokenError extends WireError {
  constructor(readonly original: WireError) {
    super('DECODER_BROKEN', `decoder is unusable after an earlier error: ${original.message}`);
  }
}

/**
 * The caller refused a frame from its Envelope header (`FrameDecoder` option `onHeader`), before
 * its body was buffered, e.g. a response kind when no request of the caller's is pending.
 */
export class FrameRefusedError extends WireError {
  constructor(
    readonly kind: MessageKind | 'unknown' | undefined,
    readonly requestId: number,
    readonly length: number,
    readonly reason: string,
  ) {
    super(
      'FRAME_REFUSED',
      `refused a ${length}-byte ${kind ?? 'unnamed'} frame (request ${requestId}): ${reason}`,
    );
  }
}
