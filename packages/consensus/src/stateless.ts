import { bytesEqual } from './bytes.js';
import {
  blockSize,
  headerHash,
  inputSigningMessage,
  merkleRoot,
  producerSigningMessage,
  txid,
  txSize,
} from './canonical.js';
import { type StatelessErrorCode, StatelessValidationError } from './errors.js';
import type { StatelessParams } from './genesis.js';
import { verifySignature } from './keys.js';
import {
  BLOCK_VERSION,
  type BlockData,
  isCoinbase,
  outpointKey,
  type TransactionData,
  TX_VERSION,
} from './model.js';
import { type SignatureCache, sigCacheKey } from './sig-cache.js';

/**
 * Stateless rules: everything that can be checked from the bytes and the network parameters
 * alone. These run in the worker pool (or inline, with the same code).
 */

const U64_MAX = (1n << 64n) - 1n;

/**
 * Encoded blocks larger than this are rejected before decoding. A valid block's protobuf
 * encoding stays well under twice its consensus size, so this only stops garbage early.
 */
export function maxEncodedBlockBytes(params: StatelessParams): number {
  return params.maxBlockBytes * 2 + 1024;
}

/** What the stateless phase learned about a block: its hash, txids and consensus size. */
export interface StatelessBlockResult {
  readonly hash: Uint8Array;
  readonly txids: readonly Uint8Array[];
  readonly size: number;
  /** Transactions whose signatures the signature cache vouched for / that were verified here. */
  readonly sigCache?: { readonly hits: number; readonly misses: number };
}

/** Per-transaction stateless outcome (transactions in a batch fail independently). */
export type StatelessTxResult =
  | { readonly ok: true; readonly txid: Uint8Array; readonly size: number }
  | { readonly ok: false; readonly error: StatelessValidationError };

function fail(code: StatelessErrorCode, message: string, txIndex?: number, inputIndex?: number): never {
  throw new StatelessValidationError(code, message, { txIndex, inputIndex });
}

/**
 * Structure of one non-coinbase or coinbase transaction: version, size, outputs, duplicate
 * inputs. Signatures are checked separately (they need the txid and are the expensive part).
 */
export function checkTxStructure(tx: TransactionData, params: StatelessParams, txIndex?: number): number {
  if (tx.version !== TX_VERSION) fail('BAD_TX_VERSION', `tx version ${tx.version}`, txIndex);
  const size = txSize(tx);
  if (size > params.maxTxBytes)
    fail('OVERSIZE_TX', `tx is ${size} bytes, limit ${params.maxTxBytes}`, txIndex);
  if (tx.outputs.length === 0) fail('NO_OUTPUTS', 'tx has no outputs', txIndex);
  let total = 0n;
  for (const output of tx.outputs) {
    if (output.value <= 0n) fail('BAD_OUTPUT_VALUE', 'output value is zero', txIndex);
    total += output.value;
  }
  if (total > U64_MAX) fail('BAD_OUTPUT_VALUE', 'outputs sum beyond u64', txIndex);
  if (tx.inputs.length > 1) {
    const seen = new Set<string>();
    tx.inputs.forEach((input, i) => {
      const key = outpointKey(input.prevTxid, input.vout);
      if (seen.has(key)) fail('DUPLICATE_INPUT', `input ${i} repeats ${key}`, txIndex, i);
      seen.add(key);
    });
  }
  return size;
}

/** Verifies every input signature of a transaction (BAD_TX_SIGNATURE). */
export function checkTxSignatures(
  tx: TransactionData,
  id: Uint8Array,
  networkId: string,
  txIndex?: number,
): void {
  tx.inputs.forEach((input, i) => {
    if (!verifySignature(input.publicKey, inputSigningMessage(networkId, id, i), input.signature)) {
      fail('BAD_TX_SIGNATURE', `input ${i} signature does not verify`, txIndex, i);
    }
  });
}

/** Full stateless check of a loose (mempool) transaction. Coinbases are not accepted. */
export function validateTransactionStateless(
  tx: TransactionData,
  params: StatelessParams,
  cache?: SignatureCache,
  /** This node hashed this transaction already (gossip's seen filter): its txid, used as is. */
  knownTxid?: Uint8Array,
): { txid: Uint8Array; size: number } {
  if (isCoinbase(tx))
    fail('NO_INPUTS', 'a loose transaction must have inputs (coinbases only come in blocks)');
  const size = checkTxStructure(tx, params);
  const id = knownTxid ?? txid(tx);
  if (!cache) {
    checkTxSignatures(tx, id, params.networkId);
    return { txid: id, size };
  }
  // A transaction coming back (a reorg, a resubmission) was verified already.
  const key = sigCacheKey(params.networkId, id, tx);
  if (!cache.has(key)) {
    checkTxSignatures(tx, id, params.networkId);
    cache.add(key);
  }
  return { txid: id, size };
}

/**
 * Full stateless check of a decoded block. `expectedHash` (when the block was requested or
 * announced by hash) must equal the computed header hash.
 */
export function validateBlockStateless(
  block: BlockData,
  params: StatelessParams,
  expectedHash?: Uint8Array,
  cache?: SignatureCache,
): StatelessBlockResult {
  const { header, txs } = block;
  if (header.version !== BLOCK_VERSION) fail('BAD_BLOCK_VERSION', `header version ${header.version}`);
  const size = blockSize(block);
  if (size > params.maxBlockBytes)
    fail('OVERSIZE_BLOCK', `block is ${size} bytes, limit ${params.maxBlockBytes}`);

  const coinbase = txs[0];
  if (!coinbase || !isCoinbase(coinbase)) fail('MISSING_COINBASE', 'first transaction is not a coinbase', 0);
  if (coinbase.nonce !== BigInt(header.height)) {
    fail('BAD_COINBASE', `coinbase nonce ${coinbase.nonce} is not the height ${header.height}`, 0);
  }
  checkTxStructure(coinbase, params, 0);
  for (let i = 1; i < txs.length; i++) {
    if (isCoinbase(txs[i]!)) fail('MULTIPLE_COINBASE', `transaction ${i} has no inputs`, i);
    checkTxStructure(txs[i]!, params, i);
  }

  const txids = txs.map((tx) => txid(tx));
  const ids = new Set<string>();
  txids.forEach((id, i) => {
    const key = Buffer.from(id).toString('latin1');
    if (ids.has(key)) fail('DUPLICATE_TX', `transaction ${i} repeats an earlier txid`, i);
    ids.add(key);
  });
  if (!bytesEqual(merkleRoot(txids), header.merkleRoot)) fail('BAD_MERKLE_ROOT', 'merkle root mismatch');

  const spent = new Set<string>();
  for (let i = 1; i < txs.length; i++) {
    txs[i]!.inputs.forEach((input, j) => {
      const key = outpointKey(input.prevTxid, input.vout);
      if (spent.has(key)) fail('DOUBLE_SPEND_IN_BLOCK', `${key} is spent twice in the block`, i, j);
      spent.add(key);
    });
  }

  const hash = headerHash(header);
  if (expectedHash && !bytesEqual(hash, expectedHash)) fail('BAD_HEADER_HASH', 'header hash mismatch');
  const producerMsg = producerSigningMessage(params.networkId, hash);
  if (!verifySignature(header.producerPublicKey, producerMsg, block.producerSignature)) {
    fail('BAD_PRODUCER_SIGNATURE', 'producer signature does not verify');
  }
  if (!cache) {
    for (let i = 1; i < txs.length; i++) checkTxSignatures(txs[i]!, txids[i]!, params.networkId, i);
    return { hash, txids, size };
  }
  let hits = 0;
  const verified: Uint8Array[] = [];
  for (let i = 1; i < txs.length; i++) {
    const key = sigCacheKey(params.networkId, txids[i]!, txs[i]!);
    if (cache.has(key)) {
      hits++;
      continue;
    }
    checkTxSignatures(txs[i]!, txids[i]!, params.networkId, i);
    verified.push(key);
  }
  // Only once the whole block verified: its transactions may come back through a reorg.
  for (const key of verified) cache.add(key);
  return { hash, txids, size, sigCache: { hits, misses: verified.length } };
}
