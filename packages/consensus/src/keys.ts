import { type KeyObject, sign } from 'node:crypto';
import { ed25519 } from '@tc/registry';
import sodium from 'sodium-native';
import { PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from './bytes.js';
import { addressOf, inputSigningMessage, txid } from './canonical.js';
import type { TransactionData, TxInputData } from './model.js';

/** An Ed25519 key pair as raw bytes: a 32-byte seed and a 32-byte public key. */
export interface KeyPair {
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

function privateKeyObject(secretKey: Uint8Array): KeyObject {
  return ed25519.privateKeyObject(secretKey);
}

/** Derives the key pair of a 32-byte seed (deterministic; used for devnet keys and tests). */
export function keyPairFromSeed(seed: Uint8Array): KeyPair {
  return { secretKey: new Uint8Array(seed), publicKey: ed25519.rawPublicKeyOf(privateKeyObject(seed)) };
}

/** A fresh random Ed25519 key pair. */
export function generateKeyPair(): KeyPair {
  return keyPairFromSeed(ed25519.generateSeed());
}

/**
 * A signer bound to one key; caches the KeyObject so repeated signing (producer, tx generator)
 * does not re-parse the key.
 */
export class Signer {
  readonly publicKey: Uint8Array;
  readonly address: Uint8Array;
  private readonly key: KeyObject;

  constructor(keys: KeyPair) {
    this.publicKey = keys.publicKey;
    this.address = addressOf(keys.publicKey);
    this.key = privateKeyObject(keys.secretKey);
  }

  sign(message: Uint8Array): Uint8Array {
    return new Uint8Array(sign(null, message, this.key));
  }
}

export function signMessage(keys: KeyPair | Signer, message: Uint8Array): Uint8Array {
  return (keys instanceof Signer ? keys : new Signer(keys)).sign(message);
}

/**
 * Verifies an Ed25519 signature by tc's rule (consensus README 2.4): libsodium's
 * `crypto_sign_verify_detached`, which also refuses small-order keys and R values and a
 * non-canonical S or key. It is about twice as fast here as node:crypto (OpenSSL), which
 * accepts, for one, the identity key's all-zero signature over any message. False (never
 * throws) for malformed keys or signatures.
 */
export function verifySignature(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== PUBLIC_KEY_BYTES || signature.length !== SIGNATURE_BYTES) return false;
  return sodium.crypto_sign_verify_detached(signature, message, publicKey);
}

/** An unsigned input: which outpoint it spends and the key that owns it. */
export interface UnsignedInput {
  readonly prevTxid: Uint8Array;
  readonly vout: number;
  /** The owner's keys; its public key must hash to the spent output's recipient. */
  readonly keys: KeyPair | Signer;
}

/**
 * Builds and signs a transaction: fills every input's public key, computes the txid and signs
 * "tc/txin/v1" ‖ networkId ‖ txid ‖ index with each input's key.
 */
export function signTransaction(
  networkId: string,
  tx: {
    version?: number;
    nonce?: bigint;
    inputs: readonly UnsignedInput[];
    outputs: TransactionData['outputs'];
  },
): { tx: TransactionData; txid: Uint8Array } {
  const signers = tx.inputs.map((i) => (i.keys instanceof Signer ? i.keys : new Signer(i.keys)));
  const zeroSig = new Uint8Array(SIGNATURE_BYTES);
  const unsigned: TransactionData = {
    version: tx.version ?? 1,
    nonce: tx.nonce ?? 0n,
    inputs: tx.inputs.map((i, idx) => ({
      prevTxid: i.prevTxid,
      vout: i.vout,
      publicKey: signers[idx]!.publicKey,
      signature: zeroSig,
    })),
    outputs: tx.outputs,
  };
  const id = txid(unsigned);
  const inputs: TxInputData[] = unsigned.inputs.map((input, idx) => ({
    ...input,
    signature: signers[idx]!.sign(inputSigningMessage(networkId, id, idx)),
  }));
  return { tx: { ...unsigned, inputs }, txid: id };
}
