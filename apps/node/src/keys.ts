import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { generateKeyPair, keyPairFromSeed, toHex } from '@tc/consensus';

/** An Ed25519 key pair as raw bytes: the 32-byte seed and the 32-byte public key (as in @tc/consensus). */
export interface NodeKey {
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

/**
 * The key file, JSON, written with mode 0600:
 * `{ "version": 1, "type": "ed25519", "publicKey": "<64 hex>", "secretKey": "<64 hex: the raw 32-byte seed>" }`.
 * The seed is the form @tc/consensus's `keyPairFromSeed` takes.
 */
export interface KeyFileContent {
  readonly version: 1;
  readonly type: 'ed25519';
  readonly publicKey: string;
  readonly secretKey: string;
}

export type KeyFileErrorCode =
  | 'KEY_FILE_UNREADABLE'
  | 'KEY_FILE_MALFORMED'
  | 'KEY_FILE_EXISTS'
  | 'KEY_FILE_MISMATCH';

/** A key file cannot be read, is malformed, or would be overwritten. */
export class KeyFileError extends Error {
  constructor(
    readonly code: KeyFileErrorCode,
    readonly file: string,
    detail: string,
  ) {
    super(`key file ${file}: ${detail}`);
    this.name = 'KeyFileError';
  }
}

export function publicKeyOfSeed(seed: Uint8Array): Uint8Array {
  return keyPairFromSeed(seed).publicKey;
}

/** A fresh random Ed25519 key (node:crypto). */
export function generateNodeKey(): NodeKey {
  return generateKeyPair();
}

export { toHex };

/** Writes a key file with mode 0600 (its directory 0700 when created). Refuses to overwrite unless `force`. */
export function writeKeyFile(file: string, key: NodeKey, options: { force?: boolean } = {}): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const content: KeyFileContent = {
    version: 1,
    type: 'ed25519',
    publicKey: toHex(key.publicKey),
    secretKey: toHex(key.secretKey),
  };
  try {
    writeFileSync(file, `${JSON.stringify(content, null, 2)}\n`, {
      mode: 0o600,
      flag: options.force ? 'w' : 'wx',
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new KeyFileError('KEY_FILE_EXISTS', file, 'already exists (use --force to replace it)');
    }
    throw error;
  }
  chmodSync(file, 0o600); // the mode above is masked by the umask and ignored when the file existed
}

export interface ReadKey {
  readonly key: NodeKey;
  /** The file is readable by group or others (a warning, as ssh would give). */
  readonly insecurePermissions: boolean;
}

/** Reads and checks a key file: fields, lengths, and that the public key belongs to the seed. */
export function readKeyFile(file: string): ReadKey {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new KeyFileError(
      'KEY_FILE_UNREADABLE',
      file,
      (error as NodeJS.ErrnoException).code ?? String(error),
    );
  }
  let parsed: Partial<KeyFileContent>;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new KeyFileError('KEY_FILE_MALFORMED', file, 'not valid JSON');
  }
  const hex64 = /^[0-9a-f]{64}$/i;
  if (
    parsed?.type !== 'ed25519' ||
    !hex64.test(parsed.secretKey ?? '') ||
    !hex64.test(parsed.publicKey ?? '')
  ) {
    throw new KeyFileError(
      'KEY_FILE_MALFORMED',
      file,
      'expected { "type": "ed25519", "publicKey": <64 hex>, "secretKey": <64 hex> }',
    );
  }
  const secretKey = new Uint8Array(Buffer.from(parsed.secretKey as string, 'hex'));
  const publicKey = publicKeyOfSeed(secretKey);
  if (toHex(publicKey) !== (parsed.publicKey as string).toLowerCase()) {
    throw new KeyFileError('KEY_FILE_MISMATCH', file, 'publicKey does not belong to secretKey');
  }
  const mode = statSync(file).mode;
  return {
    key: { publicKey, secretKey },
    insecurePermissions: process.platform !== 'win32' && (mode & 0o077) !== 0,
  };
}
