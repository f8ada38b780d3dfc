/**
 * Internal entry (`@tc/consensus/internal`): every module's exports, for this package's tests and
 * the repository's tools. Not a stable API: it changes with the code. Applications use the
 * package's main entry (src/index.ts), which lists the public API.
 */
// The public API first; then what only tests and tools use.

export { MAX_BATCHED_BLOCK_BYTES, MAX_BLOCKS_PER_TASK } from './block-batcher.js';
export { HASH_BYTES, PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from './bytes.js';
export {
  BLOCK_SIG_DOMAIN_TAG,
  CANONICAL_INPUT_BYTES,
  CANONICAL_OUTPUT_BYTES,
  CANONICAL_TX_FIXED_BYTES,
  HEADER_BYTES,
  headerBytes,
  TX_DOMAIN_TAG,
  TXIN_SIG_DOMAIN_TAG,
  txCanonicalBytes,
} from './canonical.js';
export {
  type AncestorResult,
  type AncestorSearchOptions,
  findCommonAncestor,
} from './chain/ancestor-search.js';
export type {
  AcceptOutcome,
  BlockConnectedEvent,
  BlockSource,
  ChainManagerEvents,
  OnValid,
} from './chain/chain-types.js';
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
export { ForkWatcher } from './chain/fork-watcher.js';
export type {
  ExtendSync,
  ForkCheckResult,
  ForkWatcherEvents,
  ForkWatcherOptions,
  SyncPeer,
} from './chain/fork-watcher-types.js';
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
export {
  type ErrorActionRule,
  type ErrorLocation,
  STATEFUL_ERROR_CODES,
  STATELESS_ERROR_CODES,
  type StatefulErrorCode,
  StatefulValidationError,
  type StatelessErrorCode,
  StatelessValidationError,
  type ValidationPhase,
} from './errors.js';
export { certificateChecks } from './finality/certificate.js';
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
export type { FinalityErrorCode } from './finality/finality-errors.js';
export type { FinalityService } from './finality/finality-service.js';
export { FinalityTracker } from './finality/finality-tracker.js';
export {
  type Checkpoint,
  quorumOf,
  signVote,
  slashable,
  type UnsignedVote,
  VOTE_SIG_DOMAIN_TAG,
  type Vote,
  voteKey,
  voteSigningMessage,
} from './finality/vote.js';
export { mayVote, type VoteGuardState } from './finality/vote-guard.js';
export { DEFAULT_VOTE_FANOUT, VoteRelay } from './finality/vote-relay.js';
export {
  type AmountInput,
  DEFAULT_FUTURE_TOLERANCE_MS,
  DEFAULT_MAX_BLOCK_BYTES,
  DEFAULT_MAX_TX_BYTES,
  DEFAULT_SLOT_MS,
  MIN_DEFAULT_LEADER_TIMEOUT_MS,
  statelessParams,
} from './genesis.js';
export { gossipWindowFor } from './gossip-window.js';
export { type Blake3Backend, blake3, blake3Backend, blake3With, sha256 } from './hashing.js';
export * from './index.js';
export type { UnsignedInput } from './keys.js';
export type { MempoolEntry } from './mempool.js';
export { MempoolError, type MempoolErrorCode } from './mempool-errors.js';
export { BLOCK_VERSION, isCoinbase, outpointKey, TX_VERSION } from './model.js';
export { BlockArrivals, DEFAULT_BLOCK_ARRIVALS } from './node/block-arrivals.js';
export type { ConsensusNodeStatus } from './node/consensus-node.js';
export { Gossip, type GossipOptions } from './node/gossip.js';
export { DEFAULT_HANDLER_LIMITS, type HandlerLimits, registerChainHandlers } from './node/handlers.js';
export { type NodeMetrics, registerNodeMetrics } from './node/node-metrics.js';
export { PeerAnnouncer } from './node/peer-announcer.js';
export { ProductionLoop, type ProductionLoopOptions } from './node/production-loop.js';
export {
  blockServeQuota,
  capacityRateQuotas,
  MAX_SERVE_BLOCKS_PER_SEC,
  MIN_BLOCK_BYTES,
  SERVE_FULL_BLOCKS_PER_SLOT,
  slotRateQuotas,
  votesQuota,
} from './node/rate-quotas.js';
export { DEFAULT_TX_FANOUT, TxRelay, type TxRelayOptions } from './node/tx-relay.js';
export { MARK_HAS, MARK_KNOWN, TxidMarks } from './node/txid-marks.js';
export { POOL_TASKS_PER_WORKER } from './pool-defaults.js';
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
export { checkHeaderAgainstParent, checkSpends, planBlock } from './stateful.js';
export { maxEncodedBlockBytes, validateBlockStateless, validateTransactionStateless } from './stateless.js';
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
  syncPace,
} from './sync/range-sync.js';
export { type BlockRangeHandlerOptions, type BlockRangeSource, blockRangeHandler } from './sync/serve.js';
export type { SyncPeerInput, SyncProgress, SyncStalled } from './sync/sync-types.js';
export type { ValidatedBlock } from './validate-block.js';
export type { SignatureItem } from './validation-task.js';
