import { describe, expect, it } from 'vitest';
import {
  decodeBlockData,
  decodeTransactionData,
  StatelessValidationError,
  statelessParams,
  ValidationPool,
} from '../../src/internal.js';
import { childBlock, freshChain, makeGenesis, WORKER } from '../helpers.js';

const genesis = makeGenesis();

/** Block bytes: a real header, then `count` empty transactions (2 bytes each). */
function bombBlock(count: number): Uint8Array {
  const { bytes } = childBlock(genesis, freshChain(genesis).getTip());
  const empty = Buffer.alloc(count * 2);
  for (let i = 0; i < count; i++) empty[i * 2] = 0x12; // Block.txs (field 2), length 0
  return Buffer.concat([bytes, empty]);
}

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return error instanceof StatelessValidationError ? error.code : String(error);
  }
  return 'no error';
};

describe('decode bombs are refused before the decoder allocates', () => {
  it('a block of 500 000 empty transactions (1 MiB) is MALFORMED_BLOCK on the main thread and in the pool', async () => {
    const bomb = bombBlock(500_000);
    expect(bomb.length).toBeLessThan(1024 * 1024 + 4096);
    const before = process.memoryUsage().heapUsed;
    expect(code(() => decodeBlockData(bomb))).toBe('MALFORMED_BLOCK');
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(16 * 1024 * 1024);
    const pool = new ValidationPool({ threads: 1, workerFilename: WORKER });
    try {
      await expect(pool.validateBlock(bomb, statelessParams(genesis))).rejects.toMatchObject({
        code: 'MALFORMED_BLOCK',
      });
    } finally {
      await pool.destroy();
    }
  });

  it('a transaction of 300 000 empty inputs is MALFORMED_TX; an honest block still decodes', () => {
    const inputs = Buffer.alloc(300_000 * 2);
    for (let i = 0; i < 300_000; i++) inputs[i * 2] = 0x12; // Transaction.inputs (field 2)
    expect(code(() => decodeTransactionData(inputs))).toBe('MALFORMED_TX');
    const { bytes } = childBlock(genesis, freshChain(genesis).getTip());
    expect(decodeBlockData(bytes).txs.length).toBeGreaterThan(0);
  });
});
