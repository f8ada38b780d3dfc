import { describe, expect, it } from 'vitest';
import {
  DecoderBrokenError,
  encodeBlock,
  encodeFrame,
  FrameDecoder,
  type FrameHeader,
  FrameRefusedError,
  FrameTooLargeError,
  KIND_FIELD_NUMBERS,
  MalformedFrameError,
  message,
  PEEK_BYTES,
  resolveLimits,
  u64,
} from '../src/index.js';
import { sampleBlock } from './samples.js';

const prefix = (length: number) => {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, length, false);
  return bytes;
};

describe('streaming decoder', () => {
  it('decodes frames fed one byte at a time', () => {
    const frames = [
      encodeFrame(message('ping', { nonce: u64(1) }, 1)),
      encodeFrame(message('blockAnnounce', { block: encodeBlock(sampleBlock) }, 2)),
      encodeFrame(message('getChainTip', {}, 3)),
    ];
    const stream = Buffer.concat(frames);
    const decoder = new FrameDecoder();
    const ids: number[] = [];
    for (let i = 0; i < stream.length; i++) {
      for (const frame of decoder.push(stream.subarray(i, i + 1))) ids.push(frame.requestId);
    }
    expect(ids).toEqual([1, 2, 3]);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('decodes coalesced frames from one chunk, and keeps a trailing partial frame', () => {
    const a = encodeFrame(message('ping', { nonce: u64(1) }, 1));
    const b = encodeFrame(message('pong', { nonce: u64(1) }, 1));
    const decoder = new FrameDecoder();
    const out = [...decoder.push(Buffer.concat([a, b, b.subarray(0, 3)]))];
    expect(out.map((f) => f.kind)).toEqual(['ping', 'pong']);
    expect(decoder.bufferedBytes).toBe(3);
    expect([...decoder.push(b.subarray(3))].map((f) => f.kind)).toEqual(['pong']);
  });

  it('does not pin a large socket chunk through a small frame', () => {
    const tip = encodeFrame(message('chainTip', { height: u64(1), hash: new Uint8Array(32).fill(1) }));
    // The same socket chunk also carries the first 32 KiB of a large block-range frame.
    const nextHeader = Uint8Array.of((KIND_FIELD_NUMBERS.blockRangeChunk << 3) | 2, 0x01);
    const chunk = Buffer.concat([tip, prefix(100_000), nextHeader, Buffer.alloc(32 * 1024)]);
    const decoder = new FrameDecoder();
    const [frame] = [...decoder.push(chunk)];
    if (frame?.kind !== 'chainTip') throw new Error('expected chainTip');
    expect(Buffer.from(frame.body.hash).equals(Buffer.alloc(32, 1))).toBe(true);
    // At most Node's 8 KiB allocation pool is shared, never the 64 KiB+ socket chunk.
    expect(frame.body.hash.buffer.byteLength).toBeLessThanOrEqual(8 * 1024);
    // The next prefix is consumed; its body waits, and only received bytes are held.
    expect(decoder.bufferedBytes).toBe(chunk.length - tip.length - 4);
  });

  it('rejects an empty frame as malformed', () => {
    const decoder = new FrameDecoder();
    expect(() => [...decoder.push(prefix(0))]).toThrow(MalformedFrameError);
  });

  it('rejects a frame whose bytes are not an Envelope', () => {
    const garbage = Uint8Array.of(0x52, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
    const decoder = new FrameDecoder();
    expect(() => [...decoder.push(Buffer.concat([prefix(garbage.length), garbage]))]).toThrow(
      MalformedFrameError,
    );
  });

  it('is unusable after an error and says so', () => {
    const decoder = new FrameDecoder();
    expect(() => [...decoder.push(prefix(0xffff_ffff))]).toThrow(FrameTooLargeError);
    expect(decoder.broken).toBeInstanceOf(FrameTooLargeError);
    expect(decoder.bufferedBytes).toBe(0);
    const next = encodeFrame(message('ping', {}));
    expect(() => decoder.push(next)).toThrow(DecoderBrokenError);
  });

  it('delivers frames that precede an error before throwing', () => {
    const good = encodeFrame(message('ping', { nonce: u64(5) }, 5));
    const decoder = new FrameDecoder();
    const seen: number[] = [];
    expect(() => {
      for (const frame of decoder.push(Buffer.concat([good, prefix(0xffff_ffff)])))
        seen.push(frame.requestId);
    }).toThrow(FrameTooLargeError);
    expect(seen).toEqual([5]);
  });
});

describe('limits are checked before allocation', () => {
  it('rejects a 0xFFFFFFFF length prefix with small heap growth', () => {
    const before = process.memoryUsage();
    const decoder = new FrameDecoder();
    let error: unknown;
    try {
      [...decoder.push(Buffer.concat([prefix(0xffff_ffff), Buffer.alloc(16, 0x55)]))];
    } catch (e) {
      error = e;
    }
    const after = process.memoryUsage();
    expect(error).toBeInstanceOf(FrameTooLargeError);
    expect(error).toMatchObject({ length: 0xffff_ffff, limit: 8 * 1024 * 1024, direction: 'decode' });
    expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(1024 * 1024);
    expect(after.heapUsed - before.heapUsed).toBeLessThan(8 * 1024 * 1024);
  });

  it('rejects a frame over its kind limit from the first header bytes', () => {
    // A "ping" claiming 4 MiB: the frame limit allows it, the ping limit (64 B) does not.
    const claimed = 4 * 1024 * 1024;
    const header = Uint8Array.of(0x08, 0x01, (KIND_FIELD_NUMBERS.ping << 3) | 2, 0x80, 0x80, 0x80, 0x02);
    const decoder = new FrameDecoder();
    const stream = Buffer.concat([prefix(claimed), header, Buffer.alloc(PEEK_BYTES)]);
    expect(() => [...decoder.push(stream)]).toThrow(FrameTooLargeError);
    expect(decoder.broken).toMatchObject({ kind: 'ping', limit: 64, length: claimed });
  });

  it('applies the per-kind limit after decoding when the header does not name the kind', () => {
    const limits = resolveLimits({ kindLimits: { error: 40 } });
    // request_id, then a reserved metadata field (3) of 20 bytes, then the error body.
    const body = Buffer.from(encodeFrame(message('error', { code: 1, message: 'y'.repeat(20) })).subarray(4));
    const envelope = Buffer.concat([Uint8Array.of(0x08, 0x01, 0x1a, 20), Buffer.alloc(20, 1), body]);
    const decoder = new FrameDecoder(limits);
    expect(() => [...decoder.push(Buffer.concat([prefix(envelope.length), envelope]))]).toThrow(
      FrameTooLargeError,
    );
  });

  it('honours a configured frame limit', () => {
    const decoder = new FrameDecoder(resolveLimits({ maxFrameBytes: 1024 }));
    expect(() => [...decoder.push(prefix(1025))]).toThrow(FrameTooLargeError);
  });
});

describe('onHeader: the caller sees each frame header before the body is buffered', () => {
  it('reports kind, request id and length once per frame, and a thrown WireError refuses the frame', () => {
    const seen: FrameHeader[] = [];
    const decoder = new FrameDecoder(undefined, {
      onHeader: (header) => {
        seen.push(header);
        if (header.kind === 'blockRangeChunk') {
          throw new FrameRefusedError(header.kind, header.requestId, header.length, 'no stream pending');
        }
      },
    });
    const ping = encodeFrame(message('ping', { nonce: u64(1) }, 7));
    const chunk = encodeFrame(
      message(
        'blockRangeChunk',
        {
          blocks: [encodeBlock({ txs: [{ version: 1, inputs: [{ signature: new Uint8Array(100_000) }] }] })],
        },
        9,
      ),
    );
    // Only the first 32 bytes of the big frame arrive: it is refused from its header alone.
    const stream = Buffer.concat([ping, chunk.subarray(0, 32)]);
    const frames: string[] = [];
    expect(() => {
      for (const f of decoder.push(stream)) frames.push(f.kind);
    }).toThrow(FrameRefusedError);
    expect(frames).toEqual(['ping']);
    expect(seen).toEqual([
      { kind: 'ping', requestId: 7, length: ping.length - 4 },
      { kind: 'blockRangeChunk', requestId: 9, length: chunk.length - 4 },
    ]);
    expect(decoder.broken?.code).toBe('FRAME_REFUSED');
    expect(decoder.bufferedBytes).toBe(0);
    expect(() => decoder.push(new Uint8Array(1))).toThrow(DecoderBrokenError);
  });

  it('reports an unnamed kind (metadata before the body) with kind undefined', () => {
    const seen: FrameHeader[] = [];
    const decoder = new FrameDecoder(undefined, { onHeader: (h) => seen.push(h) });
    // request_id 3, then a reserved length-delimited field 2 of 20 bytes, then the body.
    const body = encodeFrame(message('getChainTip', {}, 0)).subarray(4);
    const envelope = Buffer.concat([Buffer.from([0x08, 3, 0x12, 20]), Buffer.alloc(20), body]);
    const frames = [...decoder.push(Buffer.concat([prefix(envelope.length), envelope]))];
    expect(frames.map((f) => f.kind)).toEqual(['getChainTip']);
    expect(seen).toEqual([{ kind: undefined, requestId: 3, length: envelope.length }]);
  });
});
