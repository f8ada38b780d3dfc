import { SIGNATURE_BYTES } from './bytes.js';
import {
  addressOf,
  HEADER_BYTES,
  headerHash,
  merkleRoot,
  producerSigningMessage,
  txid,
  txSize,
} from './canonical.js';
import type { HeaderRef } from './chain-state.js';
import type { GenesisConfig } from './genesis.js';
import { type KeyPair, Signer } from './keys.js';
import type { Mempool } from './mempool.js';
import { BLOCK_VERSION, type BlockData, encodeBlockData, type TransactionData, TX_VERSION } from './model.js';
import { attemptStart } from './schedule.js';

/** nowMs clamped into the attempt's window, so the timestamp implies exactly `attempt`. */
function timestampFor(genesis: GenesisConfig, parent: HeaderRef, attempt: number, nowMs: number): number {
  const start = attemptStart(genesis, parent.timestampMs, attempt);
  return Math.min(Math.max(nowMs, start), start + genesis.leaderTimeoutMs - 1);
}

export interface BuiltBlock {
  readonly block: BlockData;
  /** Protobuf bytes, ready to announce and to validate like any received block. */
  readonly bytes: Uint8Array;
  readonly hash: Uint8Array;
  readonly txids: readonly Uint8Array[];
  readonly fees: bigint;
}

/**
 * Produces a block on top of `parent` at `attempt`: takes mempool transactions by fee rate
 * within maxBlockBytes, pays reward + fees to the producer's address in a coinbase whose nonce
 * is the height, and signs the header hash. The timestamp is nowMs clamped into the
 * attempt's window. It does not check that `producerKey` leads this attempt (see `leaderFor`).
 * The caller should pass the result through `validateBlock` before announcing it.
 */
export function buildBlock(args: {
  parent: HeaderRef;
  mempool?: Pick<Mempool, 'selectForBlock'>;
  /** Explicit transactions with their fees (used instead of the mempool when given). */
  txs?: readonly { tx: TransactionData; fee: bigint }[];
  producerKey: KeyPair | Signer;
  attempt: number;
  nowMs: number;
  genesis: GenesisConfig;
  /** Coinbase recipient; default SHA-256(producer public key). */
  recipient?: Uint8Array;
  /** Overrides the computed timestamp (tests). */
  timestampMs?: number;
}): BuiltBlock {
  const { parent, genesis, attempt } = args;
  const signer = args.producerKey instanceof Signer ? args.producerKey : new Signer(args.producerKey);
  const height = parent.height + 1;
  const coinbaseOutput = { value: 0n, recipient: args.recipient ?? addressOf(signer.publicKey) };
  const draftCoinbase: TransactionData = {
    version: TX_VERSION,
    nonce: BigInt(height),
    inputs: [],
    outputs: [coinbaseOutput],
  };
  const budget = genesis.maxBlockBytes - HEADER_BYTES - SIGNATURE_BYTES - txSize(draftCoinbase);
  const picked =
    args.txs ??
    (args.mempool?.selectForBlock(Math.min(budget, genesis.maxBlockBytes)) ?? []).map((e) => ({
      tx: e.tx,
      fee: e.fee,
    }));
  let fees = 0n;
  for (const p of picked) fees += p.fee;
  const coinbase: TransactionData = {
    ...draftCoinbase,
    outputs: [{ ...coinbaseOutput, value: genesis.blockReward + fees }],
  };
  const txs = [coinbase, ...picked.map((p) => p.tx)];
  const txids = txs.map((tx) => txid(tx));
  const header = {
    version: BLOCK_VERSION,
    height,
    prevHash: parent.hash,
    merkleRoot: merkleRoot(txids),
    timestampMs: args.timestampMs ?? timestampFor(genesis, parent, attempt, args.nowMs),
    producerPublicKey: signer.publicKey,
    leaderAttempt: attempt,
  };
  const hash = headerHash(header);
  const block: BlockData = {
    header,
    txs,
    producerSignature: signer.sign(producerSigningMessage(genesis.networkId, hash)),
  };
  return { block, bytes: encodeBlockData(block), hash, txids, fees };
}
