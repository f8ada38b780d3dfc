import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';

/**
 * Raw Ed25519 keys and node:crypto's KeyObjects, converted in one place for every package (the
 * registry's identity, consensus signers, the node's key files): a raw key is wrapped in the
 * fixed DER headers of RFC 8410.
 */

/** Raw Ed25519 key sizes. */
export const PUBLIC_KEY_BYTES = 32;
export const PRIVATE_KEY_BYTES = 32;
export const SIGNATURE_BYTES = 64;

const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** The private KeyObject of a raw 32-byte seed (RangeError on a wrong size). */
export function privateKeyObject(seed: Uint8Array): KeyObject {
  if (seed.length !== PRIVATE_KEY_BYTES) {
    throw new RangeError(`an Ed25519 private key (seed) has ${PRIVATE_KEY_BYTES} bytes, got ${seed.length}`);
  }
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

/** The public KeyObject of a raw 32-byte public key (RangeError on a wrong size). */
export function publicKeyObject(publicKey: Uint8Array): KeyObject {
  if (publicKey.length !== PUBLIC_KEY_BYTES) {
    throw new RangeError(`an Ed25519 public key has ${PUBLIC_KEY_BYTES} bytes, got ${publicKey.length}`);
  }
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
}

/** The raw 32-byte seed of a private KeyObject. */
export function seedOf(privateKey: KeyObject): Uint8Array {
  const der = privateKey.export({ format: 'der', type: 'pkcs8' });
  return new Uint8Array(der.subarray(der.length - PRIVATE_KEY_BYTES));
}

/** The raw 32-byte public key of a KeyObject (private or public). */
export function rawPublicKeyOf(key: KeyObject): Uint8Array {
  const spki = createPublicKey(key).export({ format: 'der', type: 'spki' });
  return new Uint8Array(spki.subarray(spki.length - PUBLIC_KEY_BYTES));
}

/** A fresh random seed. */
export function generateSeed(): Uint8Array {
  return seedOf(generateKeyPairSync('ed25519').privateKey);
}
