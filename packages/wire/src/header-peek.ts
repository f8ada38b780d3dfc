import { MalformedFrameError } from './errors.js';

/**
 * Bytes of an Envelope inspected to find the body kind before the frame is buffered:
 * request_id (tag + 5-byte varint) plus the body tag (≤ 5 bytes) fit in 11.
 */
export const PEEK_BYTES = 16;

const FIRST_BODY_FIELD = 10;
const REQUEST_ID_FIELD = 1;

export type PeekResult =
  /** The first body field number found in the header window, and the request id before it (0 if none). */
  | { readonly found: true; readonly fieldNumber: number; readonly requestId: number }
  /** No body tag in the window (metadata before the body, or a short frame); no early kind check. */
  | { readonly found: false; readonly requestId: number };

/**
 * Walks the leading fields of an Envelope header. Fields below the first body field
 * (request_id and reserved metadata) are skipped; the first field at or above it is
 * the body. Throws MalformedFrameError on a broken varint or an invalid wire type,
 * which a full decode would reject anyway.
 */
export function peekBodyField(header: Uint8Array, frameLength: number): PeekResult {
  const complete = header.length >= frameLength;
  let pos = 0;
  let requestId = 0;
  const notFound = (): PeekResult => ({ found: false, requestId });
  const readVarint = (): number | undefined => {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (pos >= header.length) {
        if (complete) throw new MalformedFrameError('truncated varint in envelope header');
        return undefined;
      }
      const byte = header[pos++]!;
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
    // Varints longer than 5 bytes are legal for uint64 values; skip the rest.
    for (let i = 0; i < 5; i++) {
      if (pos >= header.length) return complete ? failTruncated() : undefined;
      if ((header[pos++]! & 0x80) === 0) return value;
    }
    throw new MalformedFrameError('varint longer than 10 bytes');
  };
  while (pos < header.length) {
    const tag = readVarint();
    if (tag === undefined) return notFound();
    const fieldNumber = Math.floor(tag / 8);
    const wireType = tag & 7;
    if (fieldNumber === 0) throw new MalformedFrameError('field number 0');
    if (fieldNumber >= FIRST_BODY_FIELD) return { found: true, fieldNumber, requestId };
    switch (wireType) {
      case 0: {
        const value = readVarint();
        if (value === undefined) return notFound();
        if (fieldNumber === REQUEST_ID_FIELD) requestId = value >>> 0;
        break;
      }
      case 1:
        pos += 8;
        break;
      case 2: {
        const length = readVarint();
        if (length === undefined) return notFound();
        pos += length;
        break;
      }
      case 5:
        pos += 4;
        break;
      default:
        throw new MalformedFrameError(`wire type ${wireType} in envelope header`);
    }
  }
  return notFound();
}

function failTruncated(): never {
  throw new MalformedFrameError('truncated varint in envelope header');
}
