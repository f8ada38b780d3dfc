/**
 * Internal entry (`@tc/consensus/internal`): every module's exports, for this package's tests and
 * the repository's tools. Not a stable API: it changes with the code. Applications use the
 * package's main entry (src/index.ts), which lists the public API.
 */
export { bytesEqual, fromHex, HASH_BYTES, PUBLIC_KEY_BYTES, SIGNATURE_BYTES, toHex } from './bytes.js';
export {
  addressOf,
  BLOCK_SIG_DOMAIN_TAG,
  blockSize,
  CANONICAL_INPUT_BYTES,
  CANONICAL_OUTPUT_BYTES,
  CANONICAL_TX_FIXED_BYTES,
  HEADER_BYTES,
  headerBytes,
  headerHash,
  inputSigningMessage,
  merkleRoot,
  producerSigningMessage,
  TX_DOMAIN_TAG,
  TXIN_SIG_DOMAIN_TAG,
  txCanonicalBytes,
  txid,
  txSize,
} from './canonical.js';
export {
  type AncestorResult,
  type AncestorSearchOptions,
  findCommonAncestor,
} from './chain/ancestor-search.js';
export {
  ChainError,
  type ChainErrorCode,
  FORK_SYNC_ERROR_ACTIONS,
  ForkSyncError,
  type ForkSyncErrorCode,
} from './chain/chain-errors.js';
export {
  type AcceptOutcome,
  type BlockConnectedEvent,
  type BlockSource,
  ChainManager,
  type ChainManagerEvents,
  type ChainManagerOptions,
  type ReorgEvent,
} from './chain/chain-manager.js';
export {
  betterTipGroups,
  compareHashes,
  compareTips,
  type ForkChoiceJustification,
  isBetterTip,
  type JustifiedCheckpoint,
  requiredSupport,
  type TipGroup,
  type TipLike,
} from './chain/fork-choice.js';
export {
  type ExtendSync,
  type ForkCheckResult,
  ForkWatcher,
  type ForkWatcherEvents,
  type ForkWatcherOptions,
  type SyncPeer,
} from './chain/fork-watcher.js';
export {
  fetchBlockRange,
  type PeerChainApi,
  type PeerTipAnswer,
  queryTips,
  remoteHashAt,
} from './chain/peer-chain.js';
export type { ReorgResult } from './chain/reorg.js';
export {
  type BlockUndo,
  commitInputOf,
  ForkUtxoOverlay,
  genesisCommitInput,
  headerRefOf,
  readUtxos,
  StorageChainView,
  utxoSetDigest,
} from './chain/storage-view.js';
export type { SyncTarget } from './chain/sync-target.js';
export type { ChainStateView, HeaderRef, MaybePromise, UtxoEntry, UtxoSource } from './chain-state.js';
export {
  CONSENSUS_ERROR_ACTIONS,
  ConsensusError,
  type ConsensusErrorCode,
  type ErrorActionRule,
  type ErrorLocation,
  isConsensusError,
  STATEFUL_ERROR_CODES,
  STATELESS_ERROR_CODES,
  type StatefulErrorCode,
  StatefulValidationError,
  type StatelessErrorCode,
  StatelessValidationError,
  type ValidationPhase,
} from './errors.js';
export {
  type Certificate,
  certificateChecks,
  certificateError,
  decodeCertificate,
  encodeCertificate,
} from './finality/certificate.js';
export {
  accused,
  decodeEvidence,
  type Evidence,
  encodeEvidence,
  evidenceChecks,
  evidenceError,
  evidenceKey,
  type SignedHeader,
} from './finality/evidence.js';
export type { EvidenceSummary } from './finality/evidence-book.js';
export { FINALITY_ERROR_ACTIONS, type FinalityErrorCode } from './finality/finality-errors.js';
export type { FinalityService, FinalizedEvent } from './finality/finality-service.js';
export { FinalityTracker } from './finality/finality-tracker.js';
export {
  type Checkpoint,
  quorumOf,
  signVote,
  slashable,
  type UnsignedVote,
  VOTE_SIG_DOMAIN_TAG,
  type Vote,
  voteSigningMessage,
} from './finality/vote.js';
export { mayVote, type VoteGuardState } from './finality/vote-guard.js';
export {
  type AmountInput,
  buildGenesisBlock,
  DEFAULT_FUTURE_TOLERANCE_MS,
  DEFAULT_MAX_BLOCK_BYTES,
  DEFAULT_MAX_TX_BYTES,
  DEFAULT_SLOT_MS,
  DEVNET_SLOT_MS,
  type GenesisConfig,
  type GenesisConfigInput,
  genesisConfigToInput,
  genesisHash,
  MIN_DEFAULT_LEADER_TIMEOUT_MS,
  resolveGenesisConfig,
  type StatelessParams,
  statelessParams,
} from './genesis.js';
export { type Blake3Backend, blake3, blake3Backend, blake3With, initHashing, sha256 } from './hashing.js';
export {
  generateKeyPair,
  type KeyPair,
  keyPairFromSeed,
  Signer,
  signMessage,
  signTransaction,
  type UnsignedInput,
  verifySignature,
} from './keys.js';
export { MemoryChainState } from './memory-chain.js';
export { Mempool, type MempoolAddResult, type MempoolEntry, type MempoolOptions } from './mempool.js';
export {
  MEMPOOL_ERROR_ACTIONS,
  MempoolError,
  type MempoolErrorCode,
  RETRYABLE_MEMPOOL_CODES,
} from './mempool-errors.js';
export {
  BLOCK_VERSION,
  type BlockData,
  type BlockHeaderData,
  decodeBlockData,
  decodeTransactionData,
  encodeBlockData,
  encodeTransactionData,
  fromPbBlock,
  fromPbTransaction,
  isCoinbase,
  type Outpoint,
  outpointKey,
  type TransactionData,
  TX_VERSION,
  type TxInputData,
  type TxOutputData,
  toPbBlock,
  toPbTransaction,
} from './model.js';
export {
  ConsensusNode,
  type ConsensusNodeEvents,
  type ConsensusNodeOptions,
  type ConsensusNodeStatus,
} from './node/consensus-node.js';
export { Gossip, type GossipOptions } from './node/gossip.js';
export { DEFAULT_HANDLER_LIMITS, type HandlerLimits, registerChainHandlers } from './node/handlers.js';
export { type NodeMetrics, registerNodeMetrics } from './node/node-metrics.js';
export { ProductionLoop, type ProductionLoopOptions } from './node/production-loop.js';
export {
  InlineValidator,
  type PoolStats,
  type StatelessValidator,
  ValidationPool,
  ValidationPoolError,
  type ValidationPoolErrorCode,
  type ValidationPoolOptions,
} from './pool.js';
export { DEFAULT_POOL_MAX_QUEUE, defaultPoolThreads } from './pool-defaults.js';
export { type BuiltBlock, buildBlock } from './producer.js';
export {
  attemptAt,
  attemptStart,
  leaderFor,
  leaderIndex,
  maxPlausibleHeight,
  nextTurn,
  type ScheduleParams,
  slotStart,
} from './schedule.js';
export { SeenFilter } from './seen-filter.js';
export { DEFAULT_SIG_CACHE_SLOTS, SignatureCache, sigCacheKey } from './sig-cache.js';
export {
  type BlockPlan,
  checkHeaderAgainstParent,
  checkSpends,
  planBlock,
  resolveParent,
  validateBlockStateful,
} from './stateful.js';
export {
  maxEncodedBlockBytes,
  type StatelessBlockResult,
  type StatelessTxResult,
  validateBlockStateless,
  validateTransactionStateless,
} from './stateless.js';
export type { BatchState } from './sync/batch.js';
export {
  SYNC_ERROR_ACTIONS,
  SYNC_PEER_CODES,
  SyncError,
  type SyncErrorCode,
  type SyncOutcome,
  type SyncPeerCode,
} from './sync/errors.js';
export type { BlockQuota } from './sync/peer-balancer.js';
export {
  DEFAULT_RANGE_SYNC_LIMITS,
  RangeSync,
  type RangeSyncOptions,
  type ResolvedRangeSyncLimits,
  type SyncEvents,
} from './sync/range-sync.js';
export { type BlockRangeHandlerOptions, type BlockRangeSource, blockRangeHandler } from './sync/serve.js';
export type { SyncPeerInput, SyncProgress, SyncStalled } from './sync/sync-types.js';
export { type ValidatedBlock, validateBlock } from './validate-block.js';
export type { SignatureItem } from './validation-task.js';
