import { MalformedFrameError } from './errors.js';
import { pb } from './message.js';

function decodeWith<T>(what: string, decode: () => T): T {
  try {
    return decode();
  } catch (cause) {
    throw new MalformedFrameError(`${what}: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
  }
}

/** Decodes standalone Block bytes (as stored by @tc/storage). Throws MalformedFrameError. */
export function decodeBlock(bytes: Uint8Array): InstanceType<typeof pb.Block> {
  return decodeWith('block', () => pb.Block.decode(bytes));
}

/** Decodes standalone Transaction bytes. Throws MalformedFrameError. */
export function decodeTransaction(bytes: Uint8Array): InstanceType<typeof pb.Transaction> {
  return decodeWith('transaction', () => pb.Transaction.decode(bytes));
}
