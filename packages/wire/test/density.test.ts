import { describe, expect, it } from 'vitest';
import {
  BLOCK_SHAPE,
  checkItemDensity,
  encodeBlock,
  encodeFrame,
  FrameDecoder,
  MAX_TXIDS_PER_MESSAGE,
  message,
  TooManyItemsError,
  TRANSACTION_SHAPE,
  varintBytes,
} from '../src/index.js';
import { sampleBlock, sampleTx } from './samples.js';

/** An Envelope frame whose body (field `bodyField`) repeats an empty element `count` times. */
function bombFrame(bodyField: number, count: number): Uint8Array {
  const body = Buffer.alloc(count * 2);
  for (let i = 0; i < count; i++) body[i * 2] = 0x0a; // field 1, LEN, length 0
  const head = [...varintBytes((bodyField << 3) | 2), ...varintBytes(body.length)];
  const envelope = Buffer.concat([Buffer.from(head), body]);
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(envelope.length);
  return Buffer.concat([prefix, envelope]);
}

describe('element density: what a decode would allocate is bounded before it runs', () => {
  it('a 1 MiB txBroadcast of 500 000 empty transactions is refused before protobufjs sees it', () => {
    const frame = bombFrame(26, 500_000);
    const before = process.memoryUsage().heapUsed;
    const decoder = new FrameDecoder();
    expect(() => [...decoder.push(frame)]).toThrow(TooManyItemsError);
    expect(decoder.broken?.code).toBe('MALFORMED_FRAME');
    // Decoding would have made 500 000 objects (tens of MB); the scan makes none.
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(8 * 1024 * 1024);
  });

  it('nested bombs too: one transaction with 300 000 empty inputs, a block of 200 000 empty transactions', () => {
    const inputs = Buffer.alloc(300_000 * 2);
    for (let i = 0; i < 300_000; i++) inputs[i * 2] = 0x12; // Transaction.inputs (2), length 0
    expect(() => checkItemDensity(inputs, TRANSACTION_SHAPE)).toThrow(TooManyItemsError);
    const txs = Buffer.alloc(200_000 * 2);
    for (let i = 0; i < 200_000; i++) txs[i * 2] = 0x12; // Block.txs (2), length 0
    expect(() => checkItemDensity(txs, BLOCK_SHAPE)).toThrow(TooManyItemsError);
  });

  it('honest messages at their limits pass: a full inventory, a block of real transactions', () => {
    const ids = Array.from({ length: MAX_TXIDS_PER_MESSAGE }, (_, i) => new Uint8Array(32).fill(i % 251));
    const inventory = [...new FrameDecoder().push(encodeFrame(message('txInventory', { txids: ids })))];
    expect(inventory[0]?.kind).toBe('txInventory');
    const block = encodeBlock({ ...sampleBlock, txs: Array.from({ length: 2_000 }, () => sampleTx) });
    expect(() => checkItemDensity(block, BLOCK_SHAPE)).not.toThrow();
  });
});
