import {
  BLOCK_SHAPE,
  checkItemDensity,
  decodeBlock,
  decodeTransaction,
  encodeBlock,
  encodeTransaction,
  lastFieldOf,
  pb,
  TRANSACTION_SHAPE,
  type tc,
  u64,
  u64ToBigInt,
} from '@tc/wire';
import { HASH_BYTES, PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from './bytes.js';
import { type StatelessErrorCode, StatelessValidationError } from './errors.js';

/**
 * The consensus view of blocks and transactions: plain objects with exact integers
 * (`bigint` for amounts and nonces, `number` for heights and times, which stay far below 2^53).
 * Protobuf (`tc.v1.*` with `Long`) is only the transport; see `fromPbBlock` / `toPbBlock`.
 */
export interface TxInputData {
  readonly prevTxid: Uint8Array;
  readonly vout: number;
  readonly publicKey: Uint8Array;
  readonly signature: Uint8Array;
}

export interface TxOutputData {
  readonly value: bigint;
  /** SHA-256 of the recipient's Ed25519 public key. */
  readonly recipient: Uint8Array;
}

export interface TransactionData {
  readonly version: number;
  readonly nonce: bigint;
  readonly inputs: readonly TxInputData[];
  readonly outputs: readonly TxOutputData[];
}

export interface BlockHeaderData {
  readonly version: number;
  readonly height: number;
  readonly prevHash: Uint8Array;
  readonly merkleRoot: Uint8Array;
  readonly timestampMs: number;
  readonly producerPublicKey: Uint8Array;
  readonly leaderAttempt: number;
}

export interface BlockData {
  readonly header: BlockHeaderData;
  readonly txs: readonly TransactionData[];
  readonly producerSignature: Uint8Array;
}

/** A transaction output reference. */
export interface Outpoint {
  readonly txid: Uint8Array;
  readonly vout: number;
}

export const TX_VERSION = 1;
export const BLOCK_VERSION = 1;

const EMPTY = new Uint8Array(0);

function fail(code: StatelessErrorCode, message: string, txIndex?: number, inputIndex?: number): never {
  throw new StatelessValidationError(code, message, { txIndex, inputIndex });
}

/** A plain Uint8Array view (no copy) of a decoded field, which protobufjs gives as a Buffer. */
function bytesOf(value: Uint8Array | null | undefined): Uint8Array {
  if (!value) return EMPTY;
  return value.constructor === Uint8Array
    ? value
    : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

function checkLength(
  what: string,
  value: Uint8Array,
  length: number,
  txIndex?: number,
  inputIndex?: number,
): Uint8Array {
  if (value.length !== length) {
    fail('BAD_FIELD_LENGTH', `${what} is ${value.length} bytes, expected ${length}`, txIndex, inputIndex);
  }
  return value;
}

function safeNumber(
  what: string,
  value: tc.v1.BlockHeader['height'] | null | undefined,
  code: StatelessErrorCode,
): number {
  const big = value == null ? 0n : u64ToBigInt(value);
  if (big > BigInt(Number.MAX_SAFE_INTEGER)) fail(code, `${what} ${big} exceeds 2^53 - 1`);
  return Number(big);
}

/**
 * Converts a decoded protobuf transaction; checks field lengths (BAD_FIELD_LENGTH).
 * `txIndex` only labels errors.
 */
export function fromPbTransaction(tx: tc.v1.Transaction.$Properties, txIndex?: number): TransactionData {
  const inputs = (tx.inputs ?? []).map((input, i) => ({
    prevTxid: checkLength('prev_txid', bytesOf(input.prevTxid), HASH_BYTES, txIndex, i),
    vout: input.vout ?? 0,
    publicKey: checkLength('public_key', bytesOf(input.publicKey), PUBLIC_KEY_BYTES, txIndex, i),
    signature: checkLength('signature', bytesOf(input.signature), SIGNATURE_BYTES, txIndex, i),
  }));
  const outputs = (tx.outputs ?? []).map((output) => ({
    value: output.value == null ? 0n : u64ToBigInt(output.value),
    recipient: checkLength('recipient', bytesOf(output.recipient), HASH_BYTES, txIndex),
  }));
  return {
    version: tx.version ?? 0,
    nonce: tx.nonce == null ? 0n : u64ToBigInt(tx.nonce),
    inputs,
    outputs,
  };
}

/** Converts a decoded protobuf block; throws MALFORMED_BLOCK / BAD_FIELD_LENGTH. */
export function fromPbBlock(block: tc.v1.Block.$Properties): BlockData {
  const header = fromPbHeader(block.header);
  const txs = (block.txs ?? []).map((tx, i) => fromPbTransaction(tx, i));
  return {
    header,
    txs,
    producerSignature: checkLength('producer_signature', bytesOf(block.producerSignature), SIGNATURE_BYTES),
  };
}

/**
 * A block's header alone, from the block's bytes: its transactions are skipped, not decoded
 * (the main thread reads a header to route a block before the pool validates it).
 */
export function decodeBlockHeaderData(bytes: Uint8Array): BlockHeaderData {
  let pbHeader: tc.v1.BlockHeader | undefined;
  try {
    const at = lastFieldOf(bytes, BLOCK_HEADER_FIELD);
    pbHeader = at === undefined ? undefined : pb.BlockHeader.decode(at);
  } catch (err) {
    fail('MALFORMED_BLOCK', err instanceof Error ? err.message : String(err));
  }
  return fromPbHeader(pbHeader);
}

/** `Block.header`'s field number in wire.proto. */
const BLOCK_HEADER_FIELD = 1;

/** A decoded protobuf header as BlockHeaderData; checks field lengths and heights (MALFORMED_BLOCK, BAD_FIELD_LENGTH). */
export function fromPbHeader(h: tc.v1.BlockHeader.$Properties | null | undefined): BlockHeaderData {
  if (!h) fail('MALFORMED_BLOCK', 'block has no header');
  return {
    version: h.version ?? 0,
    height: safeNumber('height', h.height, 'MALFORMED_BLOCK'),
    prevHash: checkLength('prev_hash', bytesOf(h.prevHash), HASH_BYTES),
    merkleRoot: checkLength('merkle_root', bytesOf(h.merkleRoot), HASH_BYTES),
    timestampMs: safeNumber('timestamp_ms', h.timestampMs, 'MALFORMED_BLOCK'),
    producerPublicKey: checkLength('producer_public_key', bytesOf(h.producerPublicKey), PUBLIC_KEY_BYTES),
    leaderAttempt: h.leaderAttempt ?? 0,
  };
}

export function toPbTransaction(tx: TransactionData): tc.v1.Transaction.$Properties {
  return {
    version: tx.version,
    nonce: u64(tx.nonce),
    inputs: tx.inputs.map((i) => ({
      prevTxid: i.prevTxid,
      vout: i.vout,
      publicKey: i.publicKey,
      signature: i.signature,
    })),
    outputs: tx.outputs.map((o) => ({ value: u64(o.value), recipient: o.recipient })),
  };
}

export function toPbHeader(h: BlockHeaderData): tc.v1.BlockHeader.$Properties {
  return {
    version: h.version,
    height: u64(h.height),
    prevHash: h.prevHash,
    merkleRoot: h.merkleRoot,
    timestampMs: u64(h.timestampMs),
    producerPublicKey: h.producerPublicKey,
    leaderAttempt: h.leaderAttempt,
  };
}

export function toPbBlock(block: BlockData): tc.v1.Block.$Properties {
  return {
    header: toPbHeader(block.header),
    txs: block.txs.map(toPbTransaction),
    producerSignature: block.producerSignature,
  };
}

/** Protobuf bytes of a block (transport and storage only; never hashed). */
export function encodeBlockData(block: BlockData): Uint8Array {
  return encodeBlock(toPbBlock(block));
}

/** Protobuf bytes of a transaction (transport only; never hashed). */
export function encodeTransactionData(tx: TransactionData): Uint8Array {
  return encodeTransaction(toPbTransaction(tx));
}

/** Decodes block bytes into BlockData; throws StatelessValidationError (MALFORMED_BLOCK, BAD_FIELD_LENGTH). */
export function decodeBlockData(bytes: Uint8Array): BlockData {
  let pbBlock: tc.v1.Block;
  try {
    // A block of 2 million empty transactions fits in 4 MiB: refused before protobufjs allocates.
    checkItemDensity(bytes, BLOCK_SHAPE);
    pbBlock = decodeBlock(bytes);
  } catch (err) {
    fail('MALFORMED_BLOCK', err instanceof Error ? err.message : String(err));
  }
  return fromPbBlock(pbBlock);
}

/** Decodes transaction bytes into TransactionData; throws StatelessValidationError (MALFORMED_TX, ...). */
export function decodeTransactionData(bytes: Uint8Array): TransactionData {
  let pbTx: tc.v1.Transaction;
  try {
    checkItemDensity(bytes, TRANSACTION_SHAPE);
    pbTx = decodeTransaction(bytes);
  } catch (err) {
    fail('MALFORMED_TX', err instanceof Error ? err.message : String(err));
  }
  return fromPbTransaction(pbTx);
}

/** A stable map key for an outpoint: txid hex + ':' + vout. */
export function outpointKey(txid: Uint8Array, vout: number): string {
  return `${Buffer.from(txid.buffer, txid.byteOffset, txid.byteLength).toString('hex')}:${vout}`;
}

export function isCoinbase(tx: TransactionData): boolean {
  return tx.inputs.length === 0;
}
