import { decodeBlock, pb, u64ToNumber } from '@tc/wire';
import { indexUtxo, MAX_RECIPIENT_BYTES, unindexUtxo } from './address-index.js';
import { bytesEqual, HASH_BYTES, heightKey, toHex, U64_MAX } from './bytes.js';
import { InvalidCommitError } from './errors.js';
import type { KvWriter } from './kv-engine.js';
import { META_TIP, readTip } from './meta.js';
import {
  encodeHeaderEntry,
  encodeTip,
  encodeTxLocation,
  encodeUndo,
  encodeUtxo,
  outpointKey,
  type UndoTx,
} from './records.js';
import type { CommitBlockInput, TxOutput } from './types.js';

/**
 * Applies one block inside the caller's write transaction. Every check that can fail runs
 * before or while writing; a throw aborts the whole transaction, so nothing is kept.
 */
export function applyBlock(tx: KvWriter, input: CommitBlockInput, genesisHash: Uint8Array): void {
  checkShape(input);
  const headerBytes = input.headerBytes ?? deriveHeader(input);
  const { height, hash } = input;

  const tip = readTip(tx);
  const expected = tip === undefined ? 0 : tip.height + 1;
  if (height !== expected) {
    throw new InvalidCommitError('BAD_HEIGHT', `height ${height}, but the next height is ${expected}`);
  }
  if (tip === undefined) {
    if (!bytesEqual(hash, genesisHash)) {
      throw new InvalidCommitError(
        'BAD_GENESIS',
        `block 0 is ${toHex(hash)}, but the store's genesis is ${toHex(genesisHash)}`,
      );
    }
  } else if (!bytesEqual(input.prevHash, tip.hash)) {
    throw new InvalidCommitError(
      'BAD_PREV_HASH',
      `prevHash ${toHex(input.prevHash)} is not the tip ${toHex(tip.hash)} at height ${tip.height}`,
    );
  }
  if (tx.get('headers', hash) !== undefined) {
    throw new InvalidCommitError('DUPLICATE_BLOCK', `block ${toHex(hash)} is already stored`);
  }

  const undo: UndoTx[] = [];
  input.txs.forEach((delta, index) => {
    if (tx.get('txs', delta.txid) !== undefined) {
      throw new InvalidCommitError('DUPLICATE_TXID', `transaction ${toHex(delta.txid)} is already indexed`);
    }
    const spent: { key: Uint8Array; value: Uint8Array }[] = [];
    for (const outpoint of delta.spends) {
      const key = outpointKey(outpoint);
      const value = tx.get('utxos', key);
      if (value === undefined) {
        throw new InvalidCommitError(
          'MISSING_UTXO',
          `transaction ${index} spends ${toHex(outpoint.txid)}:${outpoint.vout}, which is not unspent`,
        );
      }
      spent.push({ key, value });
      tx.del('utxos', key);
      unindexUtxo(tx, key, value);
    }
    delta.outputs.forEach((output, vout) => {
      // No existing-key check needed: (txid, vout) can only exist if txid is indexed, checked above.
      const key = outpointKey({ txid: delta.txid, vout });
      const value = encodeUtxo({ ...output, height });
      tx.put('utxos', key, value);
      indexUtxo(tx, key, value);
    });
    tx.put('txs', delta.txid, encodeTxLocation({ blockHash: hash, height, index }));
    undo.push({ txid: delta.txid, outputCount: delta.outputs.length, spent });
  });

  tx.put('blocks', hash, input.blockBytes);
  tx.put('headers', hash, encodeHeaderEntry(height, headerBytes));
  tx.put('heights', heightKey(height), hash);
  tx.put('undo', hash, encodeUndo(undo));
  tx.put('meta', META_TIP, encodeTip({ height, hash }));
}

function checkShape(input: CommitBlockInput): void {
  const bad = (detail: string) => new InvalidCommitError('MALFORMED_INPUT', detail);
  if (!Number.isSafeInteger(input.height) || input.height < 0) throw bad(`height ${input.height}`);
  if (!isHash(input.hash)) throw bad('hash must be 32 bytes');
  if (!isHash(input.prevHash)) throw bad('prevHash must be 32 bytes');
  if (!(input.blockBytes instanceof Uint8Array)) throw bad('blockBytes must be a Uint8Array');
  if (input.headerBytes !== undefined && !(input.headerBytes instanceof Uint8Array)) {
    throw bad('headerBytes must be a Uint8Array');
  }
  if (!Array.isArray(input.txs)) throw bad('txs must be an array');
  input.txs.forEach((delta, i) => {
    if (!isHash(delta.txid)) throw bad(`txs[${i}].txid must be 32 bytes`);
    if (!Array.isArray(delta.spends) || !Array.isArray(delta.outputs)) {
      throw bad(`txs[${i}] needs spends and outputs arrays`);
    }
    for (const op of delta.spends) {
      if (!isHash(op?.txid) || !isU32(op.vout)) throw bad(`txs[${i}] has a malformed outpoint`);
    }
    if (delta.outputs.length > 0xffff_ffff) throw bad(`txs[${i}] has too many outputs`);
    delta.outputs.forEach((out: TxOutput, vout: number) => {
      checkOutput(out, `txs[${i}].outputs[${vout}]`, bad);
    });
  });
}

function checkOutput(out: TxOutput, where: string, bad: (d: string) => InvalidCommitError): void {
  if (typeof out?.value !== 'bigint' || out.value < 0n || out.value > U64_MAX) {
    throw bad(`${where}.value must be a u64 bigint`);
  }
  if (!(out.recipient instanceof Uint8Array)) throw bad(`${where}.recipient must be a Uint8Array`);
  if (out.recipient.byteLength > MAX_RECIPIENT_BYTES) {
    throw bad(`${where}.recipient is longer than ${MAX_RECIPIENT_BYTES} bytes`);
  }
}

/** Decodes the block to derive its header, and checks the input against it. */
function deriveHeader(input: CommitBlockInput): Uint8Array {
  let block: InstanceType<typeof pb.Block>;
  try {
    block = decodeBlock(input.blockBytes);
  } catch (error) {
    throw new InvalidCommitError('MALFORMED_INPUT', `blockBytes: ${(error as Error).message}`);
  }
  const header = block.header ?? pb.BlockHeader.create();
  if (headerHeight(header.height) !== input.height) {
    throw new InvalidCommitError(
      'MALFORMED_INPUT',
      `header height ${header.height} ≠ height ${input.height}`,
    );
  }
  if (input.height > 0 && !bytesEqual(header.prevHash ?? new Uint8Array(0), input.prevHash)) {
    throw new InvalidCommitError('MALFORMED_INPUT', 'header prevHash differs from prevHash');
  }
  if (block.txs.length !== input.txs.length) {
    throw new InvalidCommitError(
      'MALFORMED_INPUT',
      `block has ${block.txs.length} transactions but txs has ${input.txs.length} entries`,
    );
  }
  return pb.BlockHeader.encode(header).finish();
}

function headerHeight(value: Parameters<typeof u64ToNumber>[0] | null | undefined): number | undefined {
  if (value === null || value === undefined) return 0;
  try {
    return u64ToNumber(value);
  } catch {
    return undefined;
  }
}

function isHash(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.byteLength === HASH_BYTES;
}

function isU32(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff;
}
