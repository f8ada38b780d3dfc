import { DecoderBrokenError, FrameTooLargeError, MalformedFrameError, WireError } from './errors.js';
import { PEEK_BYTES, peekBodyField } from './header-peek.js';
import { checkItemDensity, ENVELOPE_SHAPE } from './item-density.js';
import { kindOfField, type MessageKind } from './kinds.js';
import { DEFAULT_LIMITS, LENGTH_PREFIX_BYTES, type WireLimits } from './limits.js';
import { type DecodedFrame, pb } from './message.js';

/** What the Envelope header says about a frame, before its body is buffered. */
export interface FrameHeader {
  /** The body kind; 'unknown' for a field number this build does not know; undefined when the header window does not name it. */
  readonly kind: MessageKind | 'unknown' | undefined;
  /** The request id (0 when absent, or when it does not come before the body). */
  readonly requestId: number;
  /** Envelope bytes (length prefix excluded). */
  readonly length: number;
}

export interface FrameDecoderOptions {
  /**
   * Called once per frame as soon as its header is read (after the per-kind limit check,
   * before the body is buffered). Throw a WireError (e.g. FrameRefusedError) to refuse the
   * frame: the decoder breaks, as for any wire error.
   */
  onHeader?(header: FrameHeader): void;
}

/** Chunks smaller than this are copied into a shared slab so tiny TCP reads cannot pile up objects. */
const SMALL_CHUNK_BYTES = 1024;
const SLAB_BYTES = 16 * 1024;

/**
 * Streaming frame decoder. Feed it socket chunks of any size (partial frames, several
 * frames at once, one byte at a time); it yields each whole Envelope.
 *
 * Limits are enforced before memory is committed: the length prefix is checked against
 * the frame limit as soon as its 4 bytes arrive, and against the kind's limit as soon as
 * the first bytes of the Envelope name the kind. Buffered memory only ever tracks bytes
 * actually received, never what a prefix claims.
 *
 * After any error the decoder is broken for good (`broken` is set and every later `push`
 * throws DecoderBrokenError): a length-prefixed stream cannot be resynchronised, so the
 * caller must close the connection.
 */
export class FrameDecoder {
  readonly limits: WireLimits;
  private chunks: Uint8Array[] = [];
  /** Read offset into chunks[0]. */
  private headOffset = 0;
  private buffered = 0;
  /** Envelope length of the frame in progress, or -1 while waiting for a prefix. */
  private frameLength = -1;
  private kindChecked = false;
  private peekedField: number | undefined;
  /** A frame of a kind this build does not know, being discarded as its bytes arrive. */
  private skipping: { requestId: number; remaining: number; length: number } | undefined;
  private slab: Uint8Array | null = null;
  private slabUsed = 0;
  private failure: WireError | null = null;

  private readonly onHeader: ((header: FrameHeader) => void) | undefined;

  constructor(limits: WireLimits = DEFAULT_LIMITS, options: FrameDecoderOptions = {}) {
    this.limits = limits;
    this.onHeader = options.onHeader;
  }

  /** The error that broke this decoder, or null while it is usable. */
  get broken(): WireError | null {
    return this.failure;
  }

  /** Bytes received but not yet returned as frames. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /**
   * Buffers `chunk` and returns the frames it completes. The chunk is buffered eagerly;
   * frames are decoded as the returned iterator is consumed, so a consumer that stops on
   * an error still received every frame before it.
   */
  push(chunk: Uint8Array): IterableIterator<DecodedFrame> {
    if (this.failure) throw new DecoderBrokenError(this.failure);
    if (chunk.length > 0) this.append(chunk);
    return this.drain();
  }

  /** Convenience: decodes a whole byte source (e.g. a socket) as an async iterable. */
  async *decodeStream(source: AsyncIterable<Uint8Array>): AsyncGenerator<DecodedFrame> {
    for await (const chunk of source) yield* this.push(chunk);
  }

  private append(chunk: Uint8Array): void {
    this.buffered += chunk.length;
    if (chunk.length >= SMALL_CHUNK_BYTES) {
      this.slab = null;
      this.chunks.push(chunk);
      return;
    }
    if (this.slab === null || this.slab.length - this.slabUsed < chunk.length) {
      this.slab = new Uint8Array(SLAB_BYTES);
      this.slabUsed = 0;
      this.chunks.push(this.slab.subarray(0, 0));
    }
    const start = this.slabUsed;
    this.slab.set(chunk, start);
    this.slabUsed += chunk.length;
    // The last entry is a growing view of the slab.
    const last = this.chunks.length - 1;
    const view = this.chunks[last]!;
    this.chunks[last] = this.slab.subarray(this.slabUsed - (view.length + chunk.length), this.slabUsed);
  }

  private *drain(): Generator<DecodedFrame> {
    try {
      for (;;) {
        if (this.frameLength < 0) {
          if (this.buffered < LENGTH_PREFIX_BYTES) return;
          const length = this.readPrefix();
          if (length > this.limits.maxFrameBytes) {
            throw new FrameTooLargeError('decode', length, this.limits.maxFrameBytes);
          }
          if (length === 0) throw new MalformedFrameError('empty frame: an Envelope must carry a body');
          this.frameLength = length;
          this.kindChecked = false;
          this.peekedField = undefined;
        }
        if (!this.kindChecked) {
          const window = Math.min(this.frameLength, PEEK_BYTES);
          if (this.buffered < window) return;
          this.checkKindLimit(this.peek(window));
          this.kindChecked = true;
        }
        if (this.skipping) {
          const skipped = this.skipUnknown();
          if (skipped === undefined) return;
          yield skipped;
          continue;
        }
        if (this.buffered < this.frameLength) return;
        const length = this.frameLength;
        this.frameLength = -1;
        yield this.decodeEnvelope(this.take(length), length);
      }
    } catch (error) {
      if (error instanceof WireError) this.fail(error);
      throw error;
    }
  }

  private checkKindLimit(header: Uint8Array): void {
    const peeked = peekBodyField(header, this.frameLength);
    if (!peeked.found) {
      // The kind limit is checked after decoding instead.
      this.onHeader?.({ kind: undefined, requestId: peeked.requestId, length: this.frameLength });
      return;
    }
    this.peekedField = peeked.fieldNumber;
    const kind = kindOfField(peeked.fieldNumber);
    this.enforceKindLimit(kind, this.frameLength);
    this.onHeader?.({ kind: kind ?? 'unknown', requestId: peeked.requestId, length: this.frameLength });
    // A newer peer's kind is not decoded at all: its bytes are dropped as they arrive, so even a
    // frame at the frame limit costs no memory beyond the socket's own chunks.
    if (kind === undefined) {
      this.skipping = { requestId: peeked.requestId, remaining: this.frameLength, length: this.frameLength };
    }
  }

  /** Drops what has arrived of the skipped frame; the frame once its last byte is gone. */
  private skipUnknown(): DecodedFrame | undefined {
    const skip = this.skipping!;
    const n = Math.min(skip.remaining, this.buffered);
    if (n > 0) this.consume(n);
    skip.remaining -= n;
    if (skip.remaining > 0) return undefined;
    this.skipping = undefined;
    this.frameLength = -1;
    return {
      kind: 'unknown',
      requestId: skip.requestId,
      fieldNumber: this.peekedField,
      frameBytes: skip.length + LENGTH_PREFIX_BYTES,
    };
  }

  private enforceKindLimit(kind: MessageKind | undefined, length: number): void {
    const limit = kind ? this.limits.kindLimits[kind] : this.limits.maxUnknownKindBytes;
    if (length > limit) throw new FrameTooLargeError('decode', length, limit, kind);
  }

  private decodeEnvelope(bytes: Uint8Array, length: number): DecodedFrame {
    let envelope: InstanceType<typeof pb.Envelope>;
    // What the decode would allocate is bounded before it runs (TooManyItemsError).
    checkItemDensity(bytes, ENVELOPE_SHAPE);
    try {
      envelope = pb.Envelope.decode(bytes);
    } catch (cause) {
      throw new MalformedFrameError(cause instanceof Error ? cause.message : String(cause), { cause });
    }
    const frameBytes = length + LENGTH_PREFIX_BYTES;
    const requestId = envelope.requestId;
    const kind = envelope.body;
    // Checked again on the decoded kind: a oneof repeated in one frame keeps the last case,
    // which may differ from the one peeked.
    this.enforceKindLimit(kind, length);
    if (kind === undefined) {
      return { kind: 'unknown', requestId, fieldNumber: this.peekedField, frameBytes };
    }
    const body = envelope[kind];
    return { kind, requestId, body, frameBytes } as DecodedFrame;
  }

  /** Consumes the 4-byte big-endian length prefix, reading across chunk boundaries. */
  private readPrefix(): number {
    let value = 0;
    for (let i = 0; i < LENGTH_PREFIX_BYTES; i++) {
      const head = this.chunks[0]!;
      value = value * 256 + head[this.headOffset]!;
      this.headOffset++;
      if (this.headOffset === head.length) {
        this.chunks.shift();
        this.headOffset = 0;
      }
    }
    this.buffered -= LENGTH_PREFIX_BYTES;
    if (this.chunks.length === 0) this.slab = null;
    return value;
  }

  /** The first `n` buffered bytes, without consuming them (a view when contiguous, else a small copy). */
  private peek(n: number): Uint8Array {
    const head = this.chunks[0]!;
    if (head.length - this.headOffset >= n) return head.subarray(this.headOffset, this.headOffset + n);
    const out = new Uint8Array(n);
    let copied = 0;
    let offset = this.headOffset;
    for (const chunk of this.chunks) {
      const part = Math.min(n - copied, chunk.length - offset);
      out.set(chunk.subarray(offset, offset + part), copied);
      copied += part;
      offset = 0;
      if (copied === n) break;
    }
    return out;
  }

  /**
   * Consumes `n` bytes. A frame that fills most of one chunk is returned as a view (no
   * copy); otherwise exactly its bytes are copied, so decoded fields, which alias the
   * frame, never pin a much larger socket buffer. Small copies come from Node's shared
   * 8 KiB pool (Buffer.allocUnsafe), which is far cheaper than a fresh ArrayBuffer.
   */
  private take(n: number): Uint8Array {
    const head = this.chunks[0]!;
    const available = head.length - this.headOffset;
    let out: Uint8Array;
    if (available >= n && n * 2 >= head.length) {
      out = head.subarray(this.headOffset, this.headOffset + n);
    } else {
      out = Buffer.allocUnsafe(n);
      let copied = 0;
      let i = 0;
      let offset = this.headOffset;
      while (copied < n) {
        const chunk = this.chunks[i]!;
        const part = Math.min(n - copied, chunk.length - offset);
        out.set(chunk.subarray(offset, offset + part), copied);
        copied += part;
        offset = 0;
        i++;
      }
    }
    this.consume(n);
    return out;
  }

  private consume(n: number): void {
    this.buffered -= n;
    let remaining = n;
    while (remaining > 0) {
      const head = this.chunks[0]!;
      const available = head.length - this.headOffset;
      if (remaining < available) {
        this.headOffset += remaining;
        return;
      }
      remaining -= available;
      this.chunks.shift();
      this.headOffset = 0;
    }
    if (this.chunks.length === 0) this.slab = null;
  }

  private fail(error: WireError): void {
    this.failure = error;
    this.skipping = undefined;
    this.chunks = [];
    this.buffered = 0;
    this.slab = null;
  }
}
