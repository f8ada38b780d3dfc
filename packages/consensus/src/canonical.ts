import { HASH_BYTES, LeWriter, PUBLIC_KEY_BYTES, SIGNATURE_BYTES, utf8 } from './bytes.js';
import { blake3, sha256, sha256Pair } from './hashing.js';
import type { BlockData, BlockHeaderData, TransactionData } from './model.js';

/**
 * Canonical, encoder-independent bytes. These layouts are consensus-critical and are
 * specified byte by byte in README.md ("Canonical bytes"); test/vectors pins them.
 */

/** Header layout size: version u32 ‖ height u64 ‖ prev 32 ‖ merkle 32 ‖ ts u64 ‖ producer 32 ‖ attempt u32. */
export const HEADER_BYTES = 4 + 8 + 32 + 32 + 8 + 32 + 4; // 120

export const TX_DOMAIN_TAG = utf8('tc/tx/v1');
export const TXIN_SIG_DOMAIN_TAG = utf8('tc/txin/v1');
export const BLOCK_SIG_DOMAIN_TAG = utf8('tc/block/v1');

/** Bytes per input in the canonical tx bytes (prev_txid ‖ vout ‖ public_key). */
export const CANONICAL_INPUT_BYTES = HASH_BYTES + 4 + PUBLIC_KEY_BYTES; // 68
/** Bytes per output in the canonical tx bytes (value ‖ recipient). */
export const CANONICAL_OUTPUT_BYTES = 8 + HASH_BYTES; // 40
/** Fixed part of the canonical tx bytes: tag ‖ version ‖ nonce ‖ input count ‖ output count. */
export const CANONICAL_TX_FIXED_BYTES = TX_DOMAIN_TAG.length + 4 + 8 + 4 + 4; // 28

/** The 120-byte canonical header. */
export function headerBytes(h: BlockHeaderData): Uint8Array {
  return new LeWriter(HEADER_BYTES)
    .u32(h.version)
    .u64(h.height)
    .raw(h.prevHash, HASH_BYTES)
    .raw(h.merkleRoot, HASH_BYTES)
    .u64(h.timestampMs)
    .raw(h.producerPublicKey, PUBLIC_KEY_BYTES)
    .u32(h.leaderAttempt)
    .finish();
}

/** Block hash = BLAKE3-256(headerBytes(header)). */
export function headerHash(h: BlockHeaderData): Uint8Array {
  return blake3(headerBytes(h));
}

/** Canonical transaction bytes, without signatures (what the txid covers). */
export function txCanonicalBytes(tx: TransactionData): Uint8Array {
  const size =
    CANONICAL_TX_FIXED_BYTES +
    tx.inputs.length * CANONICAL_INPUT_BYTES +
    tx.outputs.length * CANONICAL_OUTPUT_BYTES;
  const w = new LeWriter(size).raw(TX_DOMAIN_TAG).u32(tx.version).u64(tx.nonce).u32(tx.inputs.length);
  for (const input of tx.inputs) {
    w.raw(input.prevTxid, HASH_BYTES).u32(input.vout).raw(input.publicKey, PUBLIC_KEY_BYTES);
  }
  w.u32(tx.outputs.length);
  for (const output of tx.outputs) w.u64(output.value).raw(output.recipient, HASH_BYTES);
  return w.finish();
}

/** txid = SHA-256(txCanonicalBytes(tx)). */
export function txid(tx: TransactionData): Uint8Array {
  return sha256(txCanonicalBytes(tx));
}

/**
 * Consensus size of a transaction: its canonical bytes plus 64 bytes per input signature.
 * Size limits and fee rates use this, never a protobuf length.
 */
export function txSize(tx: TransactionData): number {
  return (
    CANONICAL_TX_FIXED_BYTES +
    tx.inputs.length * (CANONICAL_INPUT_BYTES + SIGNATURE_BYTES) +
    tx.outputs.length * CANONICAL_OUTPUT_BYTES
  );
}

/** Consensus size of a block: header + producer signature + the sizes of its transactions. */
export function blockSize(block: BlockData): number {
  let size = HEADER_BYTES + SIGNATURE_BYTES;
  for (const tx of block.txs) size += txSize(tx);
  return size;
}

function networkIdBytes(networkId: string): Uint8Array {
  const bytes = utf8(networkId);
  if (bytes.length === 0 || bytes.length > 255) throw new RangeError('networkId must be 1..255 UTF-8 bytes');
  return bytes;
}

/** Message an input signature covers: "tc/txin/v1" ‖ u8 len ‖ networkId ‖ txid ‖ input index u32 LE. */
export function inputSigningMessage(
  networkId: string,
  txidBytes: Uint8Array,
  inputIndex: number,
): Uint8Array {
  const net = networkIdBytes(networkId);
  return new LeWriter(TXIN_SIG_DOMAIN_TAG.length + 1 + net.length + HASH_BYTES + 4)
    .raw(TXIN_SIG_DOMAIN_TAG)
    .u8(net.length)
    .raw(net)
    .raw(txidBytes, HASH_BYTES)
    .u32(inputIndex)
    .finish();
}

/** Message the producer signs: "tc/block/v1" ‖ u8 len ‖ networkId ‖ header hash. */
export function producerSigningMessage(networkId: string, hash: Uint8Array): Uint8Array {
  const net = networkIdBytes(networkId);
  return new LeWriter(BLOCK_SIG_DOMAIN_TAG.length + 1 + net.length + HASH_BYTES)
    .raw(BLOCK_SIG_DOMAIN_TAG)
    .u8(net.length)
    .raw(net)
    .raw(hash, HASH_BYTES)
    .finish();
}

/**
 * Merkle root over txids: SHA-256(left ‖ right) per pair, duplicating the last entry of an
 * odd level. One leaf: the root is that txid. No leaves: 32 zero bytes (never valid in a block).
 */
export function merkleRoot(txids: readonly Uint8Array[]): Uint8Array {
  if (txids.length === 0) return new Uint8Array(HASH_BYTES);
  let level: Uint8Array[] = txids.slice();
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const left = level[i]!;
      const right = i + 1 < level.length ? level[i + 1]! : left;
      next.push(sha256Pair(left, right));
    }
    level = next;
  }
  return level[0]!;
}

/** Recipient / address of a public key: SHA-256(public key). */
export function addressOf(publicKey: Uint8Array): Uint8Array {
  return sha256(publicKey);
}
