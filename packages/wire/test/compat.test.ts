import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import {
  encodeFrame,
  FrameDecoder,
  KIND_FIELD_NUMBERS,
  MESSAGE_KINDS,
  message,
  u64,
  u64ToBigInt,
  varintBytes,
} from '../src/index.js';

const protoPath = (rel: string) => fileURLToPath(new URL(rel, import.meta.url));
const current = protobuf.loadSync(protoPath('../proto/tc/v1/wire.proto'));
const older = protobuf.loadSync(protoPath('./fixtures/wire-older.proto'));

function frameOf(envelopeBytes: Uint8Array): Uint8Array {
  const frame = Buffer.alloc(4 + envelopeBytes.length);
  frame.writeUInt32BE(envelopeBytes.length, 0);
  frame.set(envelopeBytes, 4);
  return frame;
}

describe('schema evolution', () => {
  it('the kind table matches the .proto field numbers exactly', () => {
    const envelope = current.lookupType('tc.v1.Envelope');
    const body = envelope.oneofs.body!;
    const fromProto = Object.fromEntries(body.fieldsArray.map((f) => [f.name, f.id]));
    expect(fromProto).toEqual(KIND_FIELD_NUMBERS);
    expect(MESSAGE_KINDS).toHaveLength(body.fieldsArray.length);
  });

  it('an older decoder reads a newer message with an added field and skips an added kind', () => {
    const OldEnvelope = older.lookupType('tc.v1.Envelope');
    const ping = encodeFrame(message('ping', { nonce: u64(5), sentAtMs: u64(1234) }, 9)).subarray(4);
    const decoded = OldEnvelope.toObject(OldEnvelope.decode(ping), { longs: String, oneofs: true });
    expect(decoded).toEqual({ requestId: 9, ping: { nonce: '5' }, body: 'ping' });

    const pending = encodeFrame(message('pendingTxs', { txs: [] }, 10)).subarray(4);
    const unknown = OldEnvelope.toObject(OldEnvelope.decode(pending), { oneofs: true });
    expect(unknown).toEqual({ requestId: 10 });
  });

  it('this decoder reads a newer peer: added fields are skipped, an added kind arrives as "unknown"', () => {
    // A newer schema: Ping gains a field, and the Envelope gains a kind at field 40.
    const newer = protobuf.parse(
      `syntax = "proto3"; package future;
       message Ping { uint64 nonce = 1; uint64 sent_at_ms = 2; string trace = 3; }
       message Gossip2 { bytes payload = 1; }
       message Envelope { uint32 request_id = 1; oneof body { Ping ping = 12; Gossip2 gossip2 = 40; } }`,
    ).root;
    const NewEnvelope = newer.lookupType('future.Envelope');
    const pingBytes = NewEnvelope.encode(
      NewEnvelope.fromObject({ requestId: 3, ping: { nonce: 77, sentAtMs: 1, trace: 'abc' } }),
    ).finish();
    const gossipBytes = NewEnvelope.encode(
      NewEnvelope.fromObject({ requestId: 4, gossip2: { payload: Buffer.alloc(100, 1) } }),
    ).finish();
    const decoder = new FrameDecoder();
    const frames = [...decoder.push(Buffer.concat([frameOf(pingBytes), frameOf(gossipBytes)]))];
    expect(frames).toHaveLength(2);
    const [ping, gossip] = frames;
    expect(ping?.kind).toBe('ping');
    if (ping?.kind === 'ping') expect(u64ToBigInt(ping.body.nonce)).toBe(77n);
    expect(gossip).toEqual({
      kind: 'unknown',
      requestId: 4,
      fieldNumber: 40,
      frameBytes: gossipBytes.length + 4,
    });
    expect(decoder.broken).toBeNull();
  });

  it('a newer kind of any size up to the frame limit is skipped unbuffered, and the stream goes on', () => {
    // 6 MiB of a kind at field 40, trickled in 64 KiB chunks, then a ping.
    const body = 6 * 1024 * 1024;
    const header = Buffer.from([0x08, 0x07, 0xc2, 0x02, ...varintBytes(body)]); // request_id 7, field 40 (LEN)
    const envelope = header.length + body;
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(envelope);
    const decoder = new FrameDecoder();
    const frames = [...decoder.push(Buffer.concat([prefix, header]))];
    let maxBuffered = decoder.bufferedBytes;
    for (let sent = 0; sent < body; sent += 64 * 1024) {
      frames.push(...decoder.push(Buffer.alloc(Math.min(64 * 1024, body - sent), 9)));
      maxBuffered = Math.max(maxBuffered, decoder.bufferedBytes);
    }
    frames.push(...decoder.push(encodeFrame(message('ping', { nonce: u64(5) }))));
    expect(frames.map((f) => f.kind)).toEqual(['unknown', 'ping']);
    expect(frames[0]).toEqual({ kind: 'unknown', requestId: 7, fieldNumber: 40, frameBytes: envelope + 4 });
    expect(maxBuffered).toBeLessThan(64 * 1024); // nothing of the skipped body is kept
    expect(decoder.broken).toBeNull();
  });

  it('field numbers in the .proto are never reused within a message', () => {
    for (const type of Object.values(current.lookup('tc.v1')!.toJSON().nested ?? {})) {
      const fields = (type as { fields?: Record<string, { id: number }> }).fields;
      if (!fields) continue;
      const ids = Object.values(fields).map((f) => f.id);
      expect(new Set(ids).size).toBe(ids.length);
    }
  });
});
