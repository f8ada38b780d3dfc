import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { NodeConfig } from '../config/schema.js';
import type { HealthProvider } from '../http/health.js';
import type { PoolStats } from '../http/metrics.js';
import type { NodeKey } from '../keys.js';
import type { NodeApi } from '../rpc/api.js';
import type { ShutdownCoordinator } from '../shutdown.js';

/** What the daemon hands to the core it runs. */
export interface NodeCoreContext {
  readonly config: NodeConfig;
  /** Root logger; components take `componentLogger(logger, 'registry')` etc. */
  readonly logger: Logger;
  /** Register every package's metrics here (createRegistryMetrics, storage, consensus). */
  readonly metricsRegistry: Registry;
  /**
   * Register shutdown steps here, in their phases: p2p listener in `stop-accepting`, peer
   * disconnects in `disconnect`, in-flight validation in `drain`, pool.destroy() in `pool`,
   * the LMDB close in `storage`. `shutdown.signal` aborts when shutdown starts.
   */
  readonly shutdown: ShutdownCoordinator;
  /** The node's identity and validator key (from config.keyFile). */
  readonly nodeKey: NodeKey;
  /** Where a config key's value came from (`default`, `file …`, `env …`, `flag …`), for errors. */
  readonly sourceOf?: (key: string) => string;
}

/**
 * The chain-facing half of the daemon: @tc/storage + @tc/registry + @tc/consensus composed.
 * The daemon (runNode) owns config, logs, metrics endpoint, RPC server and shutdown; the core
 * owns sockets to peers, the pool and the store.
 */
export interface NodeCore {
  /** Served over JSON-RPC. `stop` is supplied by the daemon. */
  readonly api: Omit<NodeApi, 'stop'>;
  readonly health: HealthProvider;
  /** Read at scrape time for tc_node_pool_* (undefined while the pool is not up). */
  readonly poolStats?: () => PoolStats | undefined;
  /** Opens the store, starts the pool, binds the p2p port, dials config.p2p.peers. */
  start(): Promise<void>;
}

export type NodeCoreFactory = (context: NodeCoreContext) => Promise<NodeCore>;
