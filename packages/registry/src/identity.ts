import { createHash, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  PUBLIC_KEY_BYTES,
  privateKeyObject,
  publicKeyObject,
  rawPublicKeyOf,
  SIGNATURE_BYTES,
  seedOf,
} from './ed25519.js';

/** The node id of a raw 32-byte Ed25519 public key: lowercase hex of SHA-256(publicKey), 64 chars. */
export function nodeIdFromPublicKey(publicKey: Uint8Array): string {
  if (publicKey.length !== PUBLIC_KEY_BYTES) {
    throw new RangeError(`an Ed25519 public key has ${PUBLIC_KEY_BYTES} bytes, got ${publicKey.length}`);
  }
  return createHash('sha256').update(publicKey).digest('hex');
}

/** Verifies an Ed25519 signature by a raw public key. Never throws; a bad key or size is `false`. */
export function verifySignature(publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== SIGNATURE_BYTES) return false;
  try {
    return verify(null, data, publicKeyObject(publicKey), signature);
  } catch {
    return false;
  }
}

/**
 * A node's Ed25519 key pair. Peers know a node by `nodeId` (derived from the public key),
 * never by IP. The private key never leaves this object except through `exportPrivateKey`.
 */
export class NodeIdentity {
  readonly publicKey: Uint8Array;
  readonly nodeId: string;
  readonly #privateKey: KeyObject;

  private constructor(privateKey: KeyObject) {
    this.#privateKey = privateKey;
    this.publicKey = rawPublicKeyOf(privateKey);
    this.nodeId = nodeIdFromPublicKey(this.publicKey);
  }

  /** A fresh random identity. */
  static generate(): NodeIdentity {
    return new NodeIdentity(generateKeyPairSync('ed25519').privateKey);
  }

  /** The identity of a raw 32-byte Ed25519 private key (the RFC 8032 seed). */
  static fromPrivateKey(raw: Uint8Array): NodeIdentity {
    return new NodeIdentity(privateKeyObject(raw));
  }

  /**
   * Reads the key file at `path` (64 hex chars of the private key), or creates it with a
   * fresh key (mode 0600, written atomically) when it does not exist.
   */
  static async loadOrCreate(path: string): Promise<NodeIdentity> {
    let text: string | undefined;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (text !== undefined) {
      const hex = text.trim();
      if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new Error(`${path}: expected 64 hex characters of key`);
      return NodeIdentity.fromPrivateKey(Buffer.from(hex, 'hex'));
    }
    const identity = NodeIdentity.generate();
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, `${Buffer.from(identity.exportPrivateKey()).toString('hex')}\n`, { mode: 0o600 });
    await rename(tmp, path);
    return identity;
  }

  /** The raw 32-byte private key, for the application to persist. Handle with care. */
  exportPrivateKey(): Uint8Array {
    return seedOf(this.#privateKey);
  }

  /** Ed25519 signature (64 bytes) over `data`. */
  sign(data: Uint8Array): Uint8Array {
    return new Uint8Array(sign(null, data, this.#privateKey));
  }

  toString(): string {
    return `NodeIdentity(${this.nodeId})`;
  }
}
