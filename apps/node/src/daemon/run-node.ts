import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { ConfigError } from '../config/errors.js';
import { sourceOf } from '../config/load.js';
import type { NodeConfig } from '../config/schema.js';
import { EXIT_CONFIG, EXIT_FAILURE } from '../exit-codes.js';
import { createNodeMetrics } from '../http/metrics.js';
import { NodeHttpServer } from '../http/server.js';
import { type NodeKey, readKeyFile, toHex } from '../keys.js';
import { componentLogger, createLogger, type Logger } from '../logging.js';
import type { NodeApi } from '../rpc/api.js';
import { RpcDispatcher } from '../rpc/dispatch.js';
import { ShutdownCoordinator, type ShutdownOptions, type ShutdownResult } from '../shutdown.js';
import { NODE_VERSION } from '../version.js';
import { createChainCore } from './create-node-core.js';
import type { NodeCoreFactory } from './node-core.js';

export { NODE_VERSION } from '../version.js';

export interface RunNodeOptions {
  /** Builds the chain-facing core. Default: `createChainCore` (registry + storage + consensus). */
  readonly coreFactory?: NodeCoreFactory;
  /** Default: a logger from config.log on stdout. */
  readonly logger?: Logger;
  /** Passed to the ShutdownCoordinator. Default process.exit. */
  readonly exit?: ShutdownOptions['exit'];
  /**
   * Install SIGINT/SIGTERM handlers, and shut down (exit 1) on an uncaught exception or an
   * unhandled rejection. Default true.
   */
  readonly handleSignals?: boolean;
  /** Shut down when stdin closes (`start --stop-with-parent`; the devnet supervisor uses it). */
  readonly stopOnStdinEnd?: boolean;
  /** Where each config key came from (`LoadedConfig.sources`): errors name the real source. */
  readonly sources?: ReadonlyMap<string, string>;
}

export interface RunningNode {
  readonly config: NodeConfig;
  readonly logger: Logger;
  /** Where JSON-RPC, /metrics and /health listen. */
  readonly rpcAddress: AddressInfo;
  readonly shutdown: ShutdownCoordinator;
  readonly metricsRegistry: Registry;
  /** Resolves when shutdown has finished (after SIGINT/SIGTERM, the `stop` RPC, or shutdown()). */
  readonly stopped: Promise<ShutdownResult>;
}

function loadNodeKey(config: NodeConfig, source: string): NodeKey {
  try {
    return readKeyFile(config.keyFile).key;
  } catch (error) {
    throw new ConfigError([
      {
        code: 'CONFIG_INVALID',
        key: 'keyFile',
        value: config.keyFile,
        expected: `a readable node key file (run \`tc-node init\`): ${(error as Error).message}`,
        source,
      },
    ]);
  }
}

/**
 * Runs the daemon: logger, metrics, the core (chain, peers, pool, store), the RPC/metrics/health
 * server, and the ShutdownCoordinator that stops them in order within config.shutdownTimeoutMs.
 * Resolves once the node serves; `stopped` resolves when it has shut down. A failure during
 * start shuts down what was started and rethrows.
 */
export async function runNode(config: NodeConfig, options: RunNodeOptions = {}): Promise<RunningNode> {
  const logger = options.logger ?? createLogger({ level: config.log.level, format: config.log.format });
  const shutdown = new ShutdownCoordinator({
    timeoutMs: config.shutdownTimeoutMs,
    logger: componentLogger(logger, 'shutdown'),
    ...(options.exit !== undefined ? { exit: options.exit } : {}),
  });
  if (options.handleSignals ?? true) {
    shutdown.installSignalHandlers();
    const fatal = (kind: string) => (error: unknown) => {
      logger.fatal({ err: error }, `${kind}: shutting down`);
      shutdown.shutdown(kind, { exitCode: EXIT_FAILURE }).catch(() => {});
    };
    process.on('uncaughtException', fatal('uncaught exception'));
    process.on('unhandledRejection', fatal('unhandled rejection'));
  }
  if (options.stopOnStdinEnd) {
    // A parent that dies (even by SIGKILL) closes our stdin pipe: stop instead of living on as an orphan.
    process.stdin.on('end', () => {
      shutdown.shutdown('parent exited').catch(() => {});
    });
    process.stdin.on('error', () => {
      shutdown.shutdown('parent exited').catch(() => {});
    });
    process.stdin.resume();
  }
  const sources = options.sources ?? new Map<string, string>();
  const configSource = (key: string) => sourceOf(sources, key);
  const nodeKey = loadNodeKey(config, configSource('keyFile'));
  logger.info(
    {
      network: config.network,
      datadir: config.datadir,
      publicKey: toHex(nodeKey.publicKey),
      version: NODE_VERSION,
    },
    'starting tc-node',
  );

  const metricsRegistry = new Registry();
  const metrics = createNodeMetrics(metricsRegistry, {
    info: { version: NODE_VERSION, network: config.network },
  });
  shutdown.register({ name: 'metrics', phase: 'final', run: () => metrics.close() });

  try {
    const core = await (options.coreFactory ?? createChainCore)({
      config,
      logger,
      metricsRegistry,
      shutdown,
      nodeKey,
      sourceOf: configSource,
    });
    const rpcLog = componentLogger(logger, 'rpc');
    const api = withStop(core.api, async () => {
      rpcLog.info('stop requested over RPC');
      setImmediate(() => {
        shutdown.shutdown('rpc stop').catch(() => {});
      });
    });
    const dispatcher = new RpcDispatcher({
      api,
      maxBatch: config.rpc.maxBatch,
      requestTimeoutMs: config.rpc.requestTimeoutMs,
      maxInflight: config.rpc.maxInflight,
      logger: rpcLog,
      observe: metrics.rpcObserver,
      isShuttingDown: () => shutdown.state !== 'running',
    });
    const server = new NodeHttpServer({
      host: config.rpc.host,
      port: config.rpc.port,
      ...(config.rpc.authToken ? { authToken: config.rpc.authToken } : {}),
      maxBodyBytes: config.rpc.maxBodyBytes,
      maxConnections: config.rpc.maxConnections,
      dispatcher,
      ...(config.metrics.enabled ? { metricsRegistry, metrics } : {}),
      health: core.health,
      logger: rpcLog,
    });
    // In-flight RPC calls get most of the budget; the chain steps after it have their own.
    const rpcCloseMs = Math.max(100, Math.floor(config.shutdownTimeoutMs * 0.4));
    shutdown.register({
      name: 'rpc-server',
      phase: 'stop-accepting',
      timeoutMs: rpcCloseMs + 100,
      run: async () => {
        const drained = await server.close(rpcCloseMs);
        if (!drained) throw new Error(`RPC calls still running after ${rpcCloseMs} ms were cut`);
      },
    });
    metrics.bindSources({
      ready: () => shutdown.state === 'running',
      ...(core.poolStats ? { pool: core.poolStats } : {}),
    });
    await core.start().catch((e: unknown) => {
      throw portTaken(e, 'p2p.port', '--port');
    });
    const rpcAddress = await server.listen().catch((e: unknown) => {
      throw portTaken(e, 'rpc.port', '--rpc-port');
    });
    logger.info(
      { rpc: `${rpcAddress.address}:${rpcAddress.port}`, auth: config.rpc.authToken !== undefined },
      'tc-node ready (JSON-RPC on POST /, GET /metrics, GET /health)',
    );
    return {
      config,
      logger,
      rpcAddress,
      shutdown,
      metricsRegistry,
      stopped: shutdown.stopped,
    };
  } catch (error) {
    logger.error({ err: error }, 'tc-node failed to start');
    // Stop what was started, then let the caller report the error. The last log line names the
    // code the CLI exits with: 78 for a configuration error (a bad genesis file), else 1.
    const exitCode = error instanceof ConfigError ? EXIT_CONFIG : EXIT_FAILURE;
    await shutdown.shutdown('startup failed', { exitCode, exit: false });
    throw error;
  }
}

/**
 * The core's API plus the daemon's `stop`. Delegates method by method (a spread would drop the
 * methods of a class instance), so a method added to NodeApi fails to compile here until it is
 * forwarded.
 */
function withStop(c: Omit<NodeApi, 'stop'>, stop: () => Promise<void>): NodeApi {
  return {
    getBlockchainInfo: () => c.getBlockchainInfo(),
    getEvidence: (limit) => c.getEvidence(limit),
    getBlockArrivals: (limit) => c.getBlockArrivals(limit),
    getBlockHash: (height) => c.getBlockHash(height),
    getBlock: (ref, verbosity) => c.getBlock(ref, verbosity),
    getTransaction: (txid) => c.getTransaction(txid),
    getPeerInfo: () => c.getPeerInfo(),
    getMempoolInfo: () => c.getMempoolInfo(),
    getRawMempool: () => c.getRawMempool(),
    sendRawTransaction: (hex) => c.sendRawTransaction(hex),
    getBalance: (address) => c.getBalance(address),
    listUnspent: (address, limit) => c.listUnspent(address, limit),
    addNode: (address, command) => c.addNode(address, command),
    disconnectNode: (target) => c.disconnectNode(target),
    setBan: (target, command, banSeconds) => c.setBan(target, command, banSeconds),
    listBanned: () => c.listBanned(),
    getNetworkInfo: () => c.getNetworkInfo(),
    stop,
  };
}

/** An EADDRINUSE that names the setting whose port is taken (the bare one named neither). */
function portTaken(error: unknown, setting: string, flag: string): unknown {
  if ((error as NodeJS.ErrnoException)?.code !== 'EADDRINUSE') return error;
  const wrapped = new Error(
    `${setting}: ${(error as Error).message} (another process holds it; choose another ${setting} or ${flag})`,
    { cause: error },
  );
  return Object.assign(wrapped, { code: 'EADDRINUSE' });
}
