import { describe, expect, it } from 'vitest';
import {
  type DecodedFrame,
  decodeBlock,
  encodeBlock,
  encodeFrame,
  FrameDecoder,
  FrameTooLargeError,
  MESSAGE_KINDS,
  message,
  pb,
  resolveLimits,
  u64,
  u64ToBigInt,
  u64ToNumber,
} from '../src/index.js';
import { SAMPLES, sampleBlock } from './samples.js';

const asObject = (kind: string, body: unknown) =>
  pb.Envelope.toObject(pb.Envelope.fromObject({ [kind]: body }), { longs: String, bytes: Array });

function decodeAll(bytes: Uint8Array): DecodedFrame[] {
  return [...new FrameDecoder().push(bytes)];
}

describe('round trip', () => {
  it.each(MESSAGE_KINDS)('%s survives encode → frame → decode unchanged', (kind) => {
    const frame = encodeFrame(message(kind, SAMPLES[kind] as never, 7));
    const view = new DataView(frame.buffer, frame.byteOffset, 4);
    expect(view.getUint32(0, false)).toBe(frame.length - 4);
    const [decoded, ...rest] = decodeAll(frame);
    expect(rest).toHaveLength(0);
    expect(decoded?.kind).toBe(kind);
    expect(decoded?.requestId).toBe(7);
    expect(decoded?.frameBytes).toBe(frame.length);
    if (decoded?.kind !== kind) return;
    expect(asObject(kind, decoded.body)).toEqual(asObject(kind, SAMPLES[kind]));
    expect(encodeFrame(message(kind, decoded.body as never, 7))).toEqual(frame);
  });

  it('keeps 64-bit values exact above 2^53', () => {
    const [frame] = decodeAll(encodeFrame(message('ping', { nonce: u64(2n ** 64n - 1n) })));
    expect(frame?.kind).toBe('ping');
    if (frame?.kind !== 'ping') return;
    expect(u64ToBigInt(frame.body.nonce)).toBe(2n ** 64n - 1n);
    expect(() => u64ToNumber(frame.body.nonce)).toThrow(RangeError);
    expect(() => u64(-1)).toThrow(RangeError);
    expect(() => u64(2n ** 64n)).toThrow(RangeError);
    expect(() => u64(1.5)).toThrow(RangeError);
  });

  it('omits request id 0 and rejects ids outside u32', () => {
    const frame = encodeFrame(message('getChainTip', {}));
    expect(frame.length).toBe(4 + 3); // 2-byte body tag (field 18) + zero length; request_id 0 is not written
    expect(decodeAll(frame)[0]?.requestId).toBe(0);
    expect(() => encodeFrame(message('getChainTip', {}, 2 ** 32))).toThrow(RangeError);
    expect(() => encodeFrame(message('getChainTip', {}, -1))).toThrow(RangeError);
  });

  it('standalone block bytes round trip', () => {
    const bytes = encodeBlock(sampleBlock);
    const block = decodeBlock(bytes);
    expect(u64ToBigInt(block.header!.height!)).toBe(2n ** 53n + 1n);
    expect(encodeBlock(block)).toEqual(bytes);
  });
});

describe('encoder limits', () => {
  it('refuses a frame over its kind limit', () => {
    const limits = resolveLimits({ kindLimits: { error: 32 } });
    const big = message('error', { code: 1, message: 'x'.repeat(64) });
    expect(() => encodeFrame(big, limits)).toThrow(FrameTooLargeError);
    try {
      encodeFrame(big, limits);
    } catch (error) {
      expect(error).toMatchObject({ code: 'FRAME_TOO_LARGE', direction: 'encode', limit: 32, kind: 'error' });
    }
  });

  it('refuses a frame over the frame limit whatever the kind limit says', () => {
    const limits = resolveLimits({ maxFrameBytes: 100 });
    expect(limits.kindLimits.blockRangeChunk).toBe(100);
    expect(() => encodeFrame(message('blockAnnounce', { block: encodeBlock(sampleBlock) }), limits)).toThrow(
      FrameTooLargeError,
    );
  });

  it('validates configured limits', () => {
    expect(() => resolveLimits({ maxFrameBytes: 0 })).toThrow(RangeError);
    expect(() => resolveLimits({ maxFrameBytes: 2 ** 32 })).toThrow(RangeError);
    expect(() => resolveLimits({ kindLimits: { ping: 1.5 } })).toThrow(RangeError);
  });
});

describe('strings', () => {
  it('never emits invalid UTF-8: lone surrogates become U+FFFD instead of a malformed frame', () => {
    const cases = [
      message('error', { code: 1, message: 'bad \ud800 text' }),
      message('disconnect', { reason: 1, message: '\udc00' }),
      message('hello', { networkId: 'net', agent: 'x\ud83d' }),
      message('peers', { peers: [{ host: 'ok' }, { host: '\ud800' }] }),
    ];
    for (const msg of cases) {
      const [frame] = decodeAll(encodeFrame(msg));
      expect(frame?.kind).toBe(msg.kind);
    }
    const [error] = decodeAll(encodeFrame(cases[0]!));
    if (error?.kind === 'error') expect(error.body.message).toBe('bad \ufffd text');
    const [peers] = decodeAll(encodeFrame(cases[3]!));
    if (peers?.kind === 'peers') expect(peers.body.peers.map((p) => p.host)).toEqual(['ok', '\ufffd']);
    // The caller's object is left untouched.
    expect((cases[0]!.body as { message: string }).message).toBe('bad \ud800 text');
  });
});
