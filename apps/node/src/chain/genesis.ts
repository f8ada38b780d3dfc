import { readFileSync, writeFileSync } from 'node:fs';
import { addressOfPublicKey } from './seams.js';

/**
 * The devnet genesis file, in the JSON form of @tc/consensus `GenesisConfigInput` (hex keys,
 * decimal amounts). This module is the one place that knows the format: wiring swaps its body
 * for `resolveGenesisConfig`/`genesisConfigToInput` from @tc/consensus.
 */
export interface GenesisFile {
  readonly networkId: string;
  /** Ed25519 public keys (hex) of the validators, in schedule order. */
  readonly validators: readonly string[];
  readonly slotMs: number;
  readonly leaderTimeoutMs?: number;
  readonly blockReward: string;
  readonly allocations: readonly { readonly recipient: string; readonly value: string }[];
  readonly timestampMs: number;
  readonly futureToleranceMs?: number;
}

export interface DevnetGenesisOptions {
  /** Validator public keys, hex. */
  readonly validators: readonly string[];
  readonly networkId?: string;
  readonly slotMs?: number;
  readonly timestampMs?: number;
  /** Coins given to each validator's address at genesis (so the devnet can make transactions). */
  readonly allocationPerValidator?: bigint;
  readonly blockReward?: bigint;
}

export function createDevnetGenesis(options: DevnetGenesisOptions): GenesisFile {
  if (options.validators.length === 0) throw new RangeError('a devnet genesis needs at least one validator');
  for (const v of options.validators) {
    if (!/^[0-9a-f]{64}$/.test(v)) throw new RangeError(`validator ${v} is not a 64-hex public key`);
  }
  const each = options.allocationPerValidator ?? 1_000_000_000n;
  return {
    networkId: options.networkId ?? 'tc-devnet',
    validators: [...options.validators],
    slotMs: options.slotMs ?? 1000,
    blockReward: (options.blockReward ?? 50n).toString(),
    allocations: options.validators.map((v) => ({
      recipient: addressOfPublicKey(Buffer.from(v, 'hex')),
      value: each.toString(),
    })),
    timestampMs: options.timestampMs ?? Date.now(),
  };
}

export function writeGenesisFile(file: string, genesis: GenesisFile): void {
  writeFileSync(file, `${JSON.stringify(genesis, null, 2)}\n`, { mode: 0o644 });
}

/** Reads a genesis file with a light shape check (full validation belongs to @tc/consensus). */
export function readGenesisFile(file: string): GenesisFile {
  const g = JSON.parse(readFileSync(file, 'utf8')) as Partial<GenesisFile>;
  if (typeof g.networkId !== 'string' || !Array.isArray(g.validators) || typeof g.timestampMs !== 'number') {
    throw new RangeError(`${file} is not a genesis file (networkId, validators, timestampMs expected)`);
  }
  return g as GenesisFile;
}
