/**
 * Internal entry of @tc/node: every module's exports, for this package's tests. Not a stable
 * API; other packages and tools use the main entry (src/index.ts, README "Public API").
 */

export {
  createDevnetGenesis,
  type DevnetGenesisOptions,
  type GenesisFile,
  genesisHashHex,
  readGenesisFile,
  writeGenesisFile,
} from './chain/genesis.js';
export {
  addressOfPublicKey,
  type BuildSignedTransaction,
  buildSignedTransaction,
  MAX_TX_INPUTS,
  NotWiredError,
  type SignedTransaction,
  selectUtxos,
  TxBuildError,
  type TxBuildErrorCode,
  type TxSendRequest,
} from './chain/seams.js';
export { type Io, processIo, UsageError } from './commands/common.js';
export { type InitOptions, type InitResult, initDatadir } from './commands/init.js';
export { buildProgram } from './commands/program.js';
export * from './config/index.js';
export { ChainApi, type ChainApiContext } from './daemon/chain-api.js';
export { CHAIN_DIR_NAME, createChainCore, loadGenesis } from './daemon/create-node-core.js';
export type { NodeCore, NodeCoreContext, NodeCoreFactory } from './daemon/node-core.js';
export { NODE_VERSION, type RunNodeOptions, type RunningNode, runNode } from './daemon/run-node.js';
export { registerStorageMetrics } from './daemon/storage-metrics.js';
export { BEHIND_SYNCING_BLOCKS, SyncTracker } from './daemon/sync-tracker.js';
export { type DevnetNode, freePort, type LayoutOptions, layoutDevnet } from './devnet/nodes.js';
export {
  type DevnetNodeSummary,
  type DevnetOptions,
  type DevnetSummary,
  formatSummary,
  packageCli,
  runDevnet,
} from './devnet/supervisor.js';
export { type DevnetFrame, type NodeView, progressBar, renderFrame, renderLine } from './devnet/view.js';
export * from './exit-codes.js';
export { type HealthProvider, type HealthReport, type HealthSnapshot, healthReport } from './http/health.js';
export {
  createNodeMetrics,
  type NodeMetricSources,
  type NodeMetrics,
  type NodeMetricsOptions,
  type PoolStats,
} from './http/metrics.js';
export { NodeHttpServer, type NodeHttpServerOptions, toJson, tokenMatches } from './http/server.js';
export {
  generateNodeKey,
  type KeyFileContent,
  KeyFileError,
  type KeyFileErrorCode,
  type NodeKey,
  publicKeyOfSeed,
  type ReadKey,
  readKeyFile,
  toHex,
  writeKeyFile,
} from './keys.js';
export {
  componentLogger,
  createLogger,
  type LogFormat,
  type Logger,
  type LoggerOptions,
  type PackageLogger,
  type PeerRef,
  packageLogger,
  peerLogger,
  wantsPretty,
} from './logging.js';
export type * from './rpc/api.js';
export { RpcCallError, RpcClient, type RpcClientOptions, RpcUnavailableError, rpcUrl } from './rpc/client.js';
export {
  type DispatcherOptions,
  RpcDispatcher,
  type RpcId,
  type RpcObserver,
  type RpcResponse,
} from './rpc/dispatch.js';
export { RPC_ERRORS, RpcError, type RpcErrorName, type RpcErrorObject } from './rpc/errors.js';
export { METHODS, type MethodSpec, parseParams } from './rpc/methods.js';
export {
  SHUTDOWN_PHASES,
  ShutdownCoordinator,
  type ShutdownOptions,
  type ShutdownPhase,
  type ShutdownResult,
  type ShutdownState,
  type ShutdownStep,
  type StepOutcome,
  type StepResult,
} from './shutdown.js';
