import { randomBytes } from 'node:crypto';
import { addressOf, encodeTransactionData, fromHex, signTransaction, toHex } from '@tc/consensus';
import type { NodeKey } from '../keys.js';
import type { BlockchainInfo, UnspentOutput } from '../rpc/api.js';
import type { RpcClient } from '../rpc/client.js';

/**
 * The seams between this app and @tc/consensus: addresses, and building a signed transfer from
 * a key and the sender's unspent outputs read over RPC.
 */

/**
 * A feature needs a package that is not wired into the app. Nothing throws it any more; it is
 * kept for embedders that plug in their own `BuildSignedTransaction` (the devnet generator turns
 * itself off on it).
 */
export class NotWiredError extends Error {
  readonly code = 'NOT_WIRED' as const;
  constructor(what: string) {
    super(`${what}: not yet wired (needs @tc/consensus)`);
    this.name = 'NotWiredError';
  }
}

export type TxBuildErrorCode = 'INSUFFICIENT_FUNDS' | 'TOO_MANY_INPUTS' | 'BAD_AMOUNT';

/** The transfer cannot be built from the sender's unspent outputs. */
export class TxBuildError extends Error {
  constructor(
    readonly code: TxBuildErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TxBuildError';
  }
}

/** Address of a public key, hex: @tc/consensus `addressOf` (SHA-256 of the 32-byte key). */
export function addressOfPublicKey(publicKey: Uint8Array): string {
  return toHex(addressOf(publicKey));
}

export interface TxSendRequest {
  /** The sender's key (from `--from KEYFILE`). */
  readonly from: NodeKey;
  /** Recipient address, 64 hex characters. */
  readonly to: string;
  readonly amount: bigint;
  readonly fee: bigint;
  /** The node to read the network id and the sender's unspent outputs from (`listunspent`). */
  readonly rpc: RpcClient;
}

export interface SignedTransaction {
  /** Protobuf bytes of the transaction, hex: what `sendrawtransaction` takes. */
  readonly hex: string;
  readonly txid: string;
}

/** Builds and signs a transfer: selects the sender's UTXOs, adds change, signs every input. */
export type BuildSignedTransaction = (request: TxSendRequest) => Promise<SignedTransaction>;

/** Most inputs one transfer spends (≈ 100 KiB maxTxBytes / 132 bytes per input, with room). */
export const MAX_TX_INPUTS = 500;
const U64_MAX = (1n << 64n) - 1n;

/**
 * Picks outputs, largest first, until `target` is covered. Returns undefined when the outputs do
 * not add up; throws TOO_MANY_INPUTS when more than `maxInputs` would be needed.
 */
export function selectUtxos(
  utxos: readonly UnspentOutput[],
  target: bigint,
  maxInputs = MAX_TX_INPUTS,
): { chosen: UnspentOutput[]; total: bigint } | undefined {
  const sorted = [...utxos].sort((a, b) => {
    const d = BigInt(b.value) - BigInt(a.value);
    return d > 0n ? 1 : d < 0n ? -1 : 0;
  });
  const chosen: UnspentOutput[] = [];
  let total = 0n;
  for (const u of sorted) {
    if (total >= target) break;
    if (chosen.length >= maxInputs) {
      throw new TxBuildError('TOO_MANY_INPUTS', `more than ${maxInputs} inputs would be needed`);
    }
    chosen.push(u);
    total += BigInt(u.value);
  }
  return total >= target ? { chosen, total } : undefined;
}

/**
 * The real builder: network id from `getblockchaininfo`, the sender's confirmed outputs not
 * already spent by a pending transaction from `listunspent`, inputs largest first, one output
 * to the recipient and change back to the sender, every input signed with consensus
 * `signTransaction` (the signature covers the network id).
 */
export const buildSignedTransaction: BuildSignedTransaction = async (req) => {
  if (req.amount <= 0n || req.amount > U64_MAX)
    throw new TxBuildError('BAD_AMOUNT', 'amount must be 1..2^64-1');
  if (req.fee < 0n || req.fee > U64_MAX) throw new TxBuildError('BAD_AMOUNT', 'fee must be 0..2^64-1');
  const from = addressOfPublicKey(req.from.publicKey);
  const [info, utxos] = await Promise.all([
    req.rpc.call<BlockchainInfo>('getblockchaininfo'),
    req.rpc.call<UnspentOutput[]>('listunspent', [from]),
  ]);
  const target = req.amount + req.fee;
  const picked = selectUtxos(utxos, target);
  if (!picked) {
    const have = utxos.reduce((s, u) => s + BigInt(u.value), 0n);
    throw new TxBuildError(
      'INSUFFICIENT_FUNDS',
      `insufficient funds: ${from} has ${have} spendable in ${utxos.length} output(s), needs ${target}`,
    );
  }
  const change = picked.total - target;
  const outputs = [{ value: req.amount, recipient: fromHex(req.to, 32) }];
  if (change > 0n) outputs.push({ value: change, recipient: fromHex(from, 32) });
  const { tx, txid } = signTransaction(info.network, {
    nonce: randomBytes(8).readBigUInt64LE(0),
    inputs: picked.chosen.map((u) => ({ prevTxid: fromHex(u.txid, 32), vout: u.vout, keys: req.from })),
    outputs,
  });
  return { hex: toHex(encodeTransactionData(tx)), txid: toHex(txid) };
};
