import { fromHex, HASH_BYTES, PUBLIC_KEY_BYTES, SIGNATURE_BYTES, toHex, utf8 } from './bytes.js';
import { headerHash, merkleRoot, txid } from './canonical.js';
import { BLOCK_VERSION, type BlockData, TX_VERSION, type TxOutputData } from './model.js';

export const DEFAULT_SLOT_MS = 10_000;
export const DEVNET_SLOT_MS = 1_000;
export const DEFAULT_MAX_BLOCK_BYTES = 1024 * 1024;
export const DEFAULT_MAX_TX_BYTES = 100 * 1024;
export const DEFAULT_FUTURE_TOLERANCE_MS = 2_000;
/**
 * The shortest default leader attempt. A leader timeout must outlast a block's trip to the next
 * leader under load (validation and a durable commit at every hop); at 250 ms slots with the
 * timeout equal to the slot, a loaded 4-node devnet forked 5–13 times a step and redid a third of
 * its block work in reorgs, and with this floor it did not fork at all. Slots keep their length.
 */
export const MIN_DEFAULT_LEADER_TIMEOUT_MS = 1_000;

const U64_MAX = (1n << 64n) - 1n;
/** Largest block the wire's blockAnnounce frame can carry comfortably (4 MiB frame limit). */
const MAX_BLOCK_BYTES_CAP = 2 * 1024 * 1024;

export type AmountInput = bigint | number | string;

/** Genesis configuration as written in a config file (hex strings, decimal amounts). */
export interface GenesisConfigInput {
  networkId: string;
  /** Ed25519 public keys (hex) of the validators, in schedule order. */
  validators: readonly string[];
  /** Target time between blocks. Default 10 000 ms (devnet: 1 000 ms). */
  slotMs?: number;
  /** The leader attempt advances every leaderTimeoutMs after the slot start. Default: max(slotMs, 1 000). */
  leaderTimeoutMs?: number;
  blockReward: AmountInput;
  /** Outputs of the genesis coinbase. */
  allocations?: readonly { recipient: string; value: AmountInput }[];
  /** Genesis timestamp, ms since the Unix epoch. */
  timestampMs: number;
  maxBlockBytes?: number;
  maxTxBytes?: number;
  /** How far a block timestamp may be ahead of the local clock. Default 2 000 ms. */
  futureToleranceMs?: number;
}

/** Validated, normalised genesis configuration: every consensus parameter of a network. */
export interface GenesisConfig {
  readonly networkId: string;
  readonly validators: readonly Uint8Array[];
  readonly slotMs: number;
  readonly leaderTimeoutMs: number;
  readonly blockReward: bigint;
  readonly allocations: readonly TxOutputData[];
  readonly timestampMs: number;
  readonly maxBlockBytes: number;
  readonly maxTxBytes: number;
  readonly futureToleranceMs: number;
}

/** The parameters the stateless (pool) checks need; small enough to send with every task. */
export interface StatelessParams {
  readonly networkId: string;
  readonly maxBlockBytes: number;
  readonly maxTxBytes: number;
}

function positiveInt(name: string, value: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new RangeError(`genesis ${name} must be an integer in 1..${max}, got ${value}`);
  }
  return value;
}

function amount(name: string, value: AmountInput): bigint {
  let big: bigint;
  try {
    big = BigInt(value);
  } catch {
    throw new RangeError(`genesis ${name} is not an integer: ${String(value)}`);
  }
  if (big < 0n || big > U64_MAX) throw new RangeError(`genesis ${name} is out of u64 range`);
  return big;
}

function positiveAmount(name: string, value: AmountInput): bigint {
  const big = amount(name, value);
  if (big === 0n) throw new RangeError(`genesis ${name} must be positive (outputs are never zero)`);
  return big;
}

/** Validates a genesis config and fills defaults. Throws RangeError on a bad value. */
export function resolveGenesisConfig(input: GenesisConfigInput): GenesisConfig {
  const netLen = utf8(input.networkId).length;
  if (netLen < 1 || netLen > 255) throw new RangeError('genesis networkId must be 1..255 UTF-8 bytes');
  if (input.validators.length === 0) throw new RangeError('genesis needs at least one validator');
  const validators = input.validators.map((v) => fromHex(v, PUBLIC_KEY_BYTES));
  const slotMs = positiveInt('slotMs', input.slotMs ?? DEFAULT_SLOT_MS);
  const maxBlockBytes = positiveInt(
    'maxBlockBytes',
    input.maxBlockBytes ?? DEFAULT_MAX_BLOCK_BYTES,
    MAX_BLOCK_BYTES_CAP,
  );
  const maxTxBytes = positiveInt('maxTxBytes', input.maxTxBytes ?? DEFAULT_MAX_TX_BYTES, maxBlockBytes);
  const futureToleranceMs = input.futureToleranceMs ?? DEFAULT_FUTURE_TOLERANCE_MS;
  if (!Number.isSafeInteger(futureToleranceMs) || futureToleranceMs < 0) {
    throw new RangeError('genesis futureToleranceMs must be a non-negative integer');
  }
  if (!Number.isSafeInteger(input.timestampMs) || input.timestampMs < 0) {
    throw new RangeError('genesis timestampMs must be a non-negative integer');
  }
  return Object.freeze({
    networkId: input.networkId,
    validators,
    slotMs,
    leaderTimeoutMs: positiveInt(
      'leaderTimeoutMs',
      input.leaderTimeoutMs ?? Math.max(slotMs, MIN_DEFAULT_LEADER_TIMEOUT_MS),
    ),
    blockReward: positiveAmount('blockReward', input.blockReward),
    allocations: (input.allocations ?? []).map((a, i) => ({
      recipient: fromHex(a.recipient, HASH_BYTES),
      value: amount(`allocations[${i}].value`, a.value),
    })),
    timestampMs: input.timestampMs,
    maxBlockBytes,
    maxTxBytes,
    futureToleranceMs,
  });
}

/** Converts back to the JSON-friendly form (hex strings, decimal amounts). */
export function genesisConfigToInput(config: GenesisConfig): GenesisConfigInput {
  return {
    networkId: config.networkId,
    validators: config.validators.map(toHex),
    slotMs: config.slotMs,
    leaderTimeoutMs: config.leaderTimeoutMs,
    blockReward: config.blockReward.toString(),
    allocations: config.allocations.map((a) => ({
      recipient: toHex(a.recipient),
      value: a.value.toString(),
    })),
    timestampMs: config.timestampMs,
    maxBlockBytes: config.maxBlockBytes,
    maxTxBytes: config.maxTxBytes,
    futureToleranceMs: config.futureToleranceMs,
  };
}

export function statelessParams(config: GenesisConfig): StatelessParams {
  return { networkId: config.networkId, maxBlockBytes: config.maxBlockBytes, maxTxBytes: config.maxTxBytes };
}

/**
 * The genesis block is defined by the config, not validated by the rules: height 0, zero
 * prev hash, zero producer key and signature, attempt 0, and one coinbase (nonce 0, no
 * inputs) whose outputs are the allocations.
 */
export function buildGenesisBlock(config: GenesisConfig): {
  block: BlockData;
  hash: Uint8Array;
  txid: Uint8Array;
} {
  const coinbase = { version: TX_VERSION, nonce: 0n, inputs: [], outputs: config.allocations };
  const coinbaseId = txid(coinbase);
  const header = {
    version: BLOCK_VERSION,
    height: 0,
    prevHash: new Uint8Array(HASH_BYTES),
    merkleRoot: merkleRoot([coinbaseId]),
    timestampMs: config.timestampMs,
    producerPublicKey: new Uint8Array(PUBLIC_KEY_BYTES),
    leaderAttempt: 0,
  };
  const block: BlockData = { header, txs: [coinbase], producerSignature: new Uint8Array(SIGNATURE_BYTES) };
  return { block, hash: headerHash(header), txid: coinbaseId };
}

export function genesisHash(config: GenesisConfig): Uint8Array {
  return buildGenesisBlock(config).hash;
}
