import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder, type OutgoingMessage, pb, u64, WireError } from '../src/index.js';

const u64Arb = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((v) => u64(v));
const hash = fc.uint8Array({ minLength: 32, maxLength: 32 });
const txArb = fc.record({
  version: fc.nat(3),
  inputs: fc.array(
    fc.record({
      prevTxid: hash,
      vout: fc.nat(1000),
      publicKey: hash,
      signature: fc.uint8Array({ maxLength: 64 }),
    }),
    { maxLength: 3 },
  ),
  outputs: fc.array(fc.record({ value: u64Arb, recipient: hash }), { maxLength: 3 }),
  nonce: u64Arb,
});

const messageArb: fc.Arbitrary<OutgoingMessage> = fc
  .oneof(
    fc.record({ kind: fc.constant('ping' as const), body: fc.record({ nonce: u64Arb, sentAtMs: u64Arb }) }),
    fc.record({ kind: fc.constant('getBlockHash' as const), body: fc.record({ height: u64Arb }) }),
    fc.record({
      kind: fc.constant('error' as const),
      body: fc.record({ code: fc.nat(), message: fc.string() }),
    }),
    fc.record({
      kind: fc.constant('txBroadcast' as const),
      body: fc.record({ txs: fc.array(txArb, { maxLength: 3 }) }),
    }),
    fc.record({
      kind: fc.constant('hello' as const),
      body: fc.record({ networkId: fc.string(), nonce: hash, tipHeight: u64Arb, listenPort: fc.nat(65535) }),
    }),
    fc.record({ kind: fc.constant('getChainTip' as const), body: fc.constant({}) }),
  )
  .chain((m) => fc.nat().map((requestId) => ({ ...m, requestId }) as OutgoingMessage));

const canonical = (frame: { kind: string; requestId?: number; body?: unknown }) =>
  pb.Envelope.toObject(pb.Envelope.fromObject({ requestId: frame.requestId, [frame.kind]: frame.body }), {
    longs: String,
    bytes: Array,
  });

describe('decoder properties', () => {
  it('random splits of a stream of random envelopes decode to the same envelopes', () => {
    fc.assert(
      fc.property(
        fc.array(messageArb, { minLength: 1, maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (messages, cutSeeds) => {
          const stream = Buffer.concat(messages.map((m) => encodeFrame(m)));
          const cuts = [...new Set(cutSeeds.map((s) => s % (stream.length + 1)))].sort((a, b) => a - b);
          const decoder = new FrameDecoder();
          const out = [];
          let last = 0;
          for (const cut of [...cuts, stream.length]) {
            out.push(...decoder.push(stream.subarray(last, cut)));
            last = cut;
          }
          expect(out.map(canonical)).toEqual(messages.map(canonical));
          expect(decoder.bufferedBytes).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('random bytes never produce anything but frames or typed errors', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), (chunks) => {
        const decoder = new FrameDecoder();
        try {
          for (const chunk of chunks)
            for (const frame of decoder.push(chunk)) expect(frame.frameBytes).toBeGreaterThan(4);
        } catch (error) {
          expect(error).toBeInstanceOf(WireError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('random bytes behind a valid prefix never escape as untyped errors', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 512 }), (body) => {
        const frame = Buffer.alloc(4 + body.length);
        frame.writeUInt32BE(body.length, 0);
        frame.set(body, 4);
        try {
          for (const decoded of new FrameDecoder().push(frame)) expect(decoded.frameBytes).toBe(frame.length);
        } catch (error) {
          expect(error).toBeInstanceOf(WireError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
