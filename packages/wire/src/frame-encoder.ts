import protobuf from 'protobufjs/minimal.js';
import { FrameTooLargeError } from './errors.js';
import { DEFAULT_LIMITS, LENGTH_PREFIX_BYTES, type WireLimits } from './limits.js';
import { type OutgoingMessage, pb } from './message.js';

const MAX_REQUEST_ID = 0xffff_ffff;

/**
 * Encodes one message as a frame: u32 big-endian Envelope length, then the Envelope.
 * Refuses (FrameTooLargeError) to emit a frame over the frame limit or its kind's limit.
 * The prefix is reserved in the same writer, so the frame is allocated once and never copied.
 */
export function encodeFrame(msg: OutgoingMessage, limits: WireLimits = DEFAULT_LIMITS): Uint8Array {
  const requestId = msg.requestId ?? 0;
  if (!Number.isInteger(requestId) || requestId < 0 || requestId > MAX_REQUEST_ID) {
    throw new RangeError(`requestId must be a u32, got ${requestId}`);
  }
  const writer = protobuf.Writer.create();
  writer.fixed32(0); // placeholder for the big-endian length
  pb.Envelope.encode({ requestId, [msg.kind]: wellFormedStrings(msg) }, writer);
  const envelopeBytes = writer.len - LENGTH_PREFIX_BYTES;
  const limit = Math.min(limits.kindLimits[msg.kind], limits.maxFrameBytes);
  if (envelopeBytes > limit) {
    throw new FrameTooLargeError('encode', envelopeBytes, limit, msg.kind);
  }
  const frame = writer.finish();
  new DataView(frame.buffer, frame.byteOffset, LENGTH_PREFIX_BYTES).setUint32(0, envelopeBytes, false);
  return frame;
}

// String.prototype.isWellFormed/toWellFormed exist on Node 20 but not in the ES2022 lib types.
interface WellFormedString {
  isWellFormed(): boolean;
  toWellFormed(): string;
}
const wellFormed = (value: string): string => {
  const s = value as unknown as WellFormedString;
  return s.isWellFormed() ? value : s.toWellFormed();
};

/**
 * protobufjs writes a lone UTF-16 surrogate as invalid UTF-8, which every strict decoder
 * (ours included) rejects as a malformed frame. The kinds that carry strings have them made
 * well-formed (U+FFFD) on a copy, so an odd error text can never get an honest peer
 * disconnected. Kinds without strings are passed through untouched.
 */
function wellFormedStrings(msg: OutgoingMessage): unknown {
  switch (msg.kind) {
    case 'hello': {
      const { networkId, agent } = msg.body;
      return {
        ...msg.body,
        networkId: networkId && wellFormed(networkId),
        agent: agent && wellFormed(agent),
      };
    }
    case 'disconnect':
    case 'error':
      return { ...msg.body, message: msg.body.message && wellFormed(msg.body.message) };
    case 'peers':
      return { peers: msg.body.peers?.map((p) => ({ ...p, host: p.host && wellFormed(p.host) })) };
    default:
      return msg.body;
  }
}

/** Encodes a Block as standalone protobuf bytes (used for storage, not for hashing). */
export function encodeBlock(
  block: InstanceType<typeof pb.Block> | ConstructorParameters<typeof pb.Block>[0],
) {
  return pb.Block.encode(block ?? {}).finish();
}

/** Encodes a Transaction as standalone protobuf bytes (used for storage, not for hashing). */
export function encodeTransaction(
  tx: InstanceType<typeof pb.Transaction> | ConstructorParameters<typeof pb.Transaction>[0],
) {
  return pb.Transaction.encode(tx ?? {}).finish();
}
