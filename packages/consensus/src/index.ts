/**
 * @tc/consensus: the tc chain rules. Canonical bytes (header hash, txid, merkle root,
 * signature messages), stateless validation in a worker pool, stateful validation against a
 * chain view producing a commit plan, the mempool, block production, fork choice, sync and
 * finality, composed in ConsensusNode. README.md is the specification; this is the public API.
 * Tests and the repository's tools reach the rest through `@tc/consensus/internal`.
 */
export { bytesEqual, fromHex, toHex } from './bytes.js';
export {
  addressOf,
  blockSize,
  headerHash,
  inputSigningMessage,
  merkleRoot,
  producerSigningMessage,
  txid,
  txSize,
} from './canonical.js';
export {
  ChainError,
  type ChainErrorCode,
  FORK_SYNC_ERROR_ACTIONS,
  ForkSyncError,
  type ForkSyncErrorCode,
} from './chain/chain-errors.js';
export { ChainManager } from './chain/chain-manager.js';
export type { ChainManagerOptions, ReorgEvent } from './chain/chain-types.js';
export type { ChainStateView, HeaderRef, MaybePromise, UtxoEntry, UtxoSource } from './chain-state.js';
export {
  CONSENSUS_ERROR_ACTIONS,
  ConsensusError,
  type ConsensusErrorCode,
  isConsensusError,
} from './errors.js';
export {
  type Certificate,
  certificateError,
  decodeCertificate,
  encodeCertificate,
} from './finality/certificate.js';
export { FINALITY_ERROR_ACTIONS } from './finality/finality-errors.js';
export type { FinalizedEvent } from './finality/finality-service.js';
export {
  buildGenesisBlock,
  DEVNET_SLOT_MS,
  type GenesisConfig,
  type GenesisConfigInput,
  genesisConfigToInput,
  genesisHash,
  resolveGenesisConfig,
  type StatelessParams,
} from './genesis.js';
export { initHashing } from './hashing.js';
export {
  generateKeyPair,
  type KeyPair,
  keyPairFromSeed,
  Signer,
  signMessage,
  signTransaction,
  verifySignature,
} from './keys.js';
export { MemoryChainState } from './memory-chain.js';
export { Mempool, type MempoolAddResult, type MempoolOptions } from './mempool.js';
export { MEMPOOL_ERROR_ACTIONS, RETRYABLE_MEMPOOL_CODES } from './mempool-errors.js';
export {
  type BlockData,
  type BlockHeaderData,
  decodeBlockData,
  decodeTransactionData,
  encodeBlockData,
  encodeTransactionData,
  fromPbBlock,
  fromPbTransaction,
  type Outpoint,
  type TransactionData,
  type TxInputData,
  type TxOutputData,
  toPbBlock,
  toPbTransaction,
} from './model.js';
export type { BlockArrival } from './node/block-arrivals.js';
export { ConsensusNode, type ConsensusNodeEvents, type ConsensusNodeOptions } from './node/consensus-node.js';
export {
  type PoolStats,
  ValidationPool,
  ValidationPoolError,
  type ValidationPoolErrorCode,
  type ValidationPoolOptions,
} from './pool.js';
export { DEFAULT_POOL_MAX_QUEUE, defaultPoolThreads } from './pool-defaults.js';
export { type BlockPlan, resolveParent, validateBlockStateful } from './stateful.js';
export type { StatelessBlockResult, StatelessTxResult } from './stateless.js';
export { InlineValidator, type StatelessValidator } from './stateless-validator.js';
export { validateBlock } from './validate-block.js';
