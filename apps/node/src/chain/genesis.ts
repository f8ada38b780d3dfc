import { readFileSync, writeFileSync } from 'node:fs';
import {
  addressOf,
  DEVNET_SLOT_MS,
  type GenesisConfig,
  type GenesisConfigInput,
  genesisConfigToInput,
  genesisHash,
  resolveGenesisConfig,
  toHex,
} from '@tc/consensus';

/**
 * The genesis file is the JSON form of @tc/consensus `GenesisConfigInput` (hex keys, decimal
 * amounts); `resolveGenesisConfig` validates it and `genesisConfigToInput` writes it back.
 */
export type GenesisFile = GenesisConfigInput;

export interface DevnetGenesisOptions {
  /** Validator public keys, hex. */
  readonly validators: readonly string[];
  readonly networkId?: string;
  /** Default 1000 ms (`DEVNET_SLOT_MS`). */
  readonly slotMs?: number;
  readonly timestampMs?: number;
  /** Coins given to each validator's address at genesis, in total. Default 1 000 000 000. */
  readonly allocationPerValidator?: bigint;
  /**
   * The allocation is split into this many outputs per validator, so a validator can spend
   * several of them before its change is confirmed (the devnet transaction generator). Default 16.
   */
  readonly outputsPerValidator?: number;
  readonly blockReward?: bigint;
}

/**
 * A devnet genesis: every validator is funded (its allocation split over several outputs to its
 * address, `SHA-256(public key)`) so transactions can flow from the first block on. Validated by
 * `resolveGenesisConfig` (throws RangeError on a bad key or value).
 */
export function createDevnetGenesis(options: DevnetGenesisOptions): GenesisFile {
  if (options.validators.length === 0) throw new RangeError('a devnet genesis needs at least one validator');
  for (const v of options.validators) {
    if (!/^[0-9a-f]{64}$/.test(v)) throw new RangeError(`validator ${v} is not a 64-hex public key`);
  }
  const total = options.allocationPerValidator ?? 1_000_000_000n;
  const parts = BigInt(Math.max(1, Math.min(256, options.outputsPerValidator ?? 16)));
  const each = total / parts;
  if (each <= 0n) throw new RangeError('allocationPerValidator is too small for outputsPerValidator');
  const allocations: { recipient: string; value: string }[] = [];
  for (const v of options.validators) {
    const recipient = toHex(addressOf(Buffer.from(v, 'hex')));
    for (let i = 0n; i < parts; i++) allocations.push({ recipient, value: each.toString() });
  }
  const config = resolveGenesisConfig({
    networkId: options.networkId ?? 'tc-devnet',
    validators: [...options.validators],
    slotMs: options.slotMs ?? DEVNET_SLOT_MS,
    blockReward: (options.blockReward ?? 50n).toString(),
    allocations,
    timestampMs: options.timestampMs ?? Date.now(),
  });
  return genesisConfigToInput(config);
}

export function writeGenesisFile(file: string, genesis: GenesisFile): void {
  writeFileSync(file, `${JSON.stringify(genesis, null, 2)}\n`, { mode: 0o644 });
}

/** Reads and validates a genesis file. Throws with the file name on an unreadable or invalid one. */
export function readGenesisFile(file: string): GenesisConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw new RangeError(`${file}: ${e.code ?? e.message}`);
  }
  const g = parsed as Partial<GenesisConfigInput> | null;
  if (
    typeof g !== 'object' ||
    g === null ||
    typeof g.networkId !== 'string' ||
    !Array.isArray(g.validators) ||
    typeof g.timestampMs !== 'number'
  ) {
    throw new RangeError(`${file} is not a genesis file (networkId, validators, timestampMs expected)`);
  }
  try {
    return resolveGenesisConfig(g as GenesisConfigInput);
  } catch (error) {
    throw new RangeError(`${file}: ${(error as Error).message}`);
  }
}

/** The genesis block hash of a config, hex. */
export function genesisHashHex(config: GenesisConfig): string {
  return toHex(genesisHash(config));
}
