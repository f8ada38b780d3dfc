/**
 * @tc/wire: the tc wire protocol. The protobuf schema in `proto/tc/v1/wire.proto` is the
 * source of truth; this package adds length-prefixed framing, limits checked before
 * allocation, and a streaming decoder. See README.md for the byte layout.
 */
export { ERROR_REPLY_CODES, type ErrorReplyCodeName, errorReplyCodeName } from './error-codes.js';
export {
  DecoderBrokenError,
  type FrameDirection,
  FrameRefusedError,
  FrameTooLargeError,
  MalformedFrameError,
  WireError,
  type WireErrorCode,
} from './errors.js';
export { FrameDecoder, type FrameDecoderOptions, type FrameHeader } from './frame-decoder.js';
export { encodeBlock, encodeFrame, encodeTransaction } from './frame-encoder.js';
export { PEEK_BYTES } from './header-peek.js';
export { bytesEqual, fromHex, toHex } from './hex.js';
export {
  BLOCK_SHAPE,
  BYTES_PER_ITEM,
  checkItemDensity,
  lastFieldOf,
  TooManyItemsError,
  TRANSACTION_SHAPE,
  varintBytes,
} from './item-density.js';
export {
  isMessageKind,
  KIND_FIELD_NUMBERS,
  type KindBodies,
  type KindInputs,
  kindOfField,
  MESSAGE_KINDS,
  type MessageKind,
} from './kinds.js';
export {
  DEFAULT_KIND_LIMITS,
  DEFAULT_LIMITS,
  DEFAULT_MAX_FRAME_BYTES,
  DEFAULT_MAX_UNKNOWN_KIND_BYTES,
  KiB,
  LENGTH_PREFIX_BYTES,
  MAX_EVIDENCE_PER_MESSAGE,
  MAX_TXIDS_PER_MESSAGE,
  MAX_VOTES_PER_MESSAGE,
  MiB,
  resolveLimits,
  type WireLimits,
  type WireLimitsInput,
} from './limits.js';
export {
  type DecodedFrame,
  isKind,
  type KnownFrame,
  message,
  type OutgoingMessage,
  pb,
  type tc,
  type UnknownFrame,
} from './message.js';
export { Long, type U64, type U64Input, u64, u64ToBigInt, u64ToNumber } from './u64.js';
export { decodeBlock, decodeTransaction } from './value-codec.js';
