import {
  addressOf,
  type BlockData,
  buildBlock,
  buildGenesisBlock,
  encodeBlockData,
  type GenesisConfig,
  type HeaderRef,
  headerHash,
  type KeyPair,
  keyPairFromSeed,
  leaderFor,
  MemoryChainState,
  merkleRoot,
  producerSigningMessage,
  resolveGenesisConfig,
  Signer,
  signTransaction,
  type TransactionData,
  toHex,
  txid,
} from '../src/internal.js';

export const GENESIS_TS = 1_700_000_000_000;

export function seedKey(n: number): KeyPair {
  return keyPairFromSeed(new Uint8Array(32).fill(n));
}

export const validators = [seedKey(1), seedKey(2), seedKey(3)];
export const wallets = Array.from({ length: 8 }, (_, i) => seedKey(100 + i));

export function makeGenesis(
  overrides: Partial<Parameters<typeof resolveGenesisConfig>[0]> = {},
): GenesisConfig {
  return resolveGenesisConfig({
    networkId: 'tc-test',
    validators: validators.map((v) => toHex(v.publicKey)),
    slotMs: 1_000,
    leaderTimeoutMs: 1_000,
    blockReward: 50n,
    allocations: wallets.map((w) => ({ recipient: toHex(addressOf(w.publicKey)), value: 1_000_000n })),
    timestampMs: GENESIS_TS,
    ...overrides,
  });
}

export function keyOf(publicKey: Uint8Array): KeyPair {
  const found = validators.find((v) => Buffer.from(v.publicKey).equals(Buffer.from(publicKey)));
  if (!found) throw new Error('not a test validator');
  return found;
}

/** The genesis outpoint allocated to wallets[i]. */
export function genesisOutpoint(genesis: GenesisConfig, i: number): { prevTxid: Uint8Array; vout: number } {
  return { prevTxid: buildGenesisBlock(genesis).txid, vout: i };
}

/** A signed tx spending genesis allocation i (1 000 000) to wallet `to`, paying `fee`. */
export function spendGenesis(
  genesis: GenesisConfig,
  i: number,
  opts: { to?: number; fee?: bigint; amount?: bigint; nonce?: bigint } = {},
): { tx: TransactionData; txid: Uint8Array } {
  const fee = opts.fee ?? 10n;
  const amount = opts.amount ?? 1_000_000n - fee;
  return signTransaction(genesis.networkId, {
    nonce: opts.nonce ?? 0n,
    inputs: [{ ...genesisOutpoint(genesis, i), keys: wallets[i]! }],
    outputs: [{ value: amount, recipient: addressOf(wallets[opts.to ?? i]!.publicKey) }],
  });
}

/** A valid child of `parent` by its attempt-0 leader, with the given transactions. */
export function childBlock(
  genesis: GenesisConfig,
  parent: HeaderRef,
  txs: readonly { tx: TransactionData; fee: bigint }[] = [],
  opts: { attempt?: number; producer?: KeyPair } = {},
) {
  const attempt = opts.attempt ?? 0;
  const producer = opts.producer ?? keyOf(leaderFor(genesis, parent.height + 1, attempt));
  const nowMs = parent.timestampMs + genesis.slotMs + attempt * genesis.leaderTimeoutMs;
  return { ...buildBlock({ parent, txs, producerKey: producer, attempt, nowMs, genesis }), nowMs };
}

/** Recomputes merkle root, header hash and producer signature after tampering. */
export function reseal(
  genesis: GenesisConfig,
  block: BlockData,
  producer: KeyPair = keyOf(block.header.producerPublicKey),
): { block: BlockData; bytes: Uint8Array } {
  const header = { ...block.header, merkleRoot: merkleRoot(block.txs.map((t) => txid(t))) };
  return resign(genesis, { ...block, header }, producer);
}

/** Re-signs the header as is (keeps a tampered merkle root). */
export function resign(
  genesis: GenesisConfig,
  block: BlockData,
  producer: KeyPair = keyOf(block.header.producerPublicKey),
): { block: BlockData; bytes: Uint8Array } {
  const sig = new Signer(producer).sign(producerSigningMessage(genesis.networkId, headerHash(block.header)));
  const out = { ...block, producerSignature: sig };
  return { block: out, bytes: encodeBlockData(out) };
}

export function freshChain(genesis: GenesisConfig): MemoryChainState {
  return new MemoryChainState(genesis);
}

export const WORKER = new URL('../dist/validation-worker.js', import.meta.url).href;
