/**
 * Internal entry of @tc/node: the public API (src/index.ts) and every other module export, for
 * this package's tests. Not a stable API; other packages and tools use the main entry.
 */

export { NotWiredError, selectUtxos } from './chain/seams.js';
export { type Io, processIo, UsageError } from './commands/common.js';
export * from './config/index.js';
export { ChainApi, type ChainApiContext } from './daemon/chain-api.js';
export { CHAIN_DIR_NAME, createChainCore, loadGenesis } from './daemon/create-node-core.js';
export type { NodeCore, NodeCoreContext, NodeCoreFactory } from './daemon/node-core.js';
export { registerStorageMetrics } from './daemon/storage-metrics.js';
export { BEHIND_SYNCING_BLOCKS, SyncTracker } from './daemon/sync-tracker.js';
export { type DevnetNodeSummary, formatSummary, packageCli } from './devnet/supervisor.js';
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
export * from './index.js';
export { type KeyFileContent, publicKeyOfSeed, type ReadKey } from './keys.js';
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
export {
  type DispatcherOptions,
  RpcDispatcher,
  type RpcId,
  type RpcObserver,
  type RpcResponse,
} from './rpc/dispatch.js';
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
