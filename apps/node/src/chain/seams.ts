import { createHash } from 'node:crypto';
import type { NodeKey } from '../keys.js';
import type { RpcClient } from '../rpc/client.js';

/**
 * The seams between this app and @tc/consensus that cannot be filled before that package's API
 * is final. Wiring replaces the bodies below with calls into @tc/consensus; nothing else in
 * apps/node needs to change.
 */

/** A feature needs a package that is not wired into the app yet. */
export class NotWiredError extends Error {
  readonly code = 'NOT_WIRED' as const;
  constructor(what: string) {
    super(`${what}: not yet wired (needs @tc/consensus)`);
    this.name = 'NotWiredError';
  }
}

/**
 * Address of a public key, hex. Mirrors @tc/consensus `addressOf` (SHA-256 of the 32-byte
 * public key) so `keygen` and the devnet genesis can print and fund addresses; replace with the
 * import when wiring.
 */
export function addressOfPublicKey(publicKey: Uint8Array): string {
  return createHash('sha256').update(publicKey).digest('hex');
}

export interface TxSendRequest {
  /** The sender's key (from `--from KEYFILE`). */
  readonly from: NodeKey;
  /** Recipient address, 64 hex characters. */
  readonly to: string;
  readonly amount: bigint;
  readonly fee: bigint;
  /** The node to read the sender's unspent outputs from (wiring adds the RPC method it needs). */
  readonly rpc: RpcClient;
}

export interface SignedTransaction {
  /** Canonical transaction bytes, hex: what `sendrawtransaction` takes. */
  readonly hex: string;
  readonly txid: string;
}

/**
 * Builds and signs a transfer: selects the sender's UTXOs, adds change, signs every input.
 * The one seam that throws until @tc/consensus is wired.
 */
export type BuildSignedTransaction = (request: TxSendRequest) => Promise<SignedTransaction>;

export const buildSignedTransaction: BuildSignedTransaction = async () => {
  throw new NotWiredError('building and signing a transaction');
};
