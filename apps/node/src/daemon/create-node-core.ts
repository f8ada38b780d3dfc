import { join } from 'node:path';
import { ConsensusNode, type GenesisConfig, genesisHash, toHex, ValidationPool } from '@tc/consensus';
import { NodeIdentity } from '@tc/registry';
import { type ChainStore, openChainStore } from '@tc/storage';
import { readGenesisFile } from '../chain/genesis.js';
import { ConfigError } from '../config/errors.js';
import type { NodeConfig } from '../config/schema.js';
import type { HealthSnapshot } from '../http/health.js';
import type { PoolStats } from '../http/metrics.js';
import { componentLogger, packageLogger, peerLogger } from '../logging.js';
import { NODE_AGENT } from '../version.js';
import { ChainApi } from './chain-api.js';
import type { NodeCore, NodeCoreFactory } from './node-core.js';
import { registerStorageMetrics } from './storage-metrics.js';
import { SyncTracker } from './sync-tracker.js';

/** Name of the LMDB directory inside the datadir. */
export const CHAIN_DIR_NAME = 'chain';

/** Reads and validates the genesis file; a missing or invalid one is a ConfigError naming `genesisFile`. */
export function loadGenesis(config: NodeConfig, source = 'default'): GenesisConfig {
  try {
    return readGenesisFile(config.genesisFile);
  } catch (error) {
    throw new ConfigError([
      {
        code: 'CONFIG_INVALID',
        key: 'genesisFile',
        value: config.genesisFile,
        expected: `a valid genesis file (the network's genesis.json; \`tc-node init\` writes one for a devnet): ${(error as Error).message}`,
        source,
      },
    ]);
  }
}

/** Shares of `shutdownTimeoutMs` for the core's steps (the RPC server takes 40 %). */
const SHARE = { disconnect: 0.2, drain: 0.15, pool: 0.1, storage: 0.1 } as const;

/**
 * The real core: @tc/storage (LMDB in `<datadir>/chain`), a consensus `ValidationPool` of
 * `pool.size` threads with a `pool.maxQueue` bound, and a `ConsensusNode` whose registry
 * listens on `p2p.host:p2p.port` and keeps `p2p.peers` connected. The node key is both the
 * registry identity and the validator key. All metrics go to the daemon's one prom-client
 * registry. Shutdown steps: close the p2p listener and stop producing (stop-accepting),
 * Disconnect to every peer (disconnect), drain the chain queue (drain), destroy the pool (pool), close the
 * store (storage), each bounded by its share of `shutdownTimeoutMs`.
 */
export const createChainCore: NodeCoreFactory = async (ctx) => {
  const { config, logger, metricsRegistry, shutdown, nodeKey } = ctx;
  const log = componentLogger(logger, 'core');
  const genesis = loadGenesis(config, ctx.sourceOf?.('genesisFile'));
  const ghash = toHex(genesisHash(genesis));
  const identity = NodeIdentity.fromPrivateKey(nodeKey.secretKey);
  const budget = config.shutdownTimeoutMs;
  const share = (k: keyof typeof SHARE) => Math.max(50, Math.floor(budget * SHARE[k]));
  const chainDir = join(config.datadir, CHAIN_DIR_NAME);
  const isValidator = genesis.validators.some((v) => toHex(v) === toHex(nodeKey.publicKey));

  let store: ChainStore | undefined;
  let storeOpen = false;
  let pool: ValidationPool | undefined;
  let node: ConsensusNode | undefined;
  let started = false;
  const sync = new SyncTracker(() => node);

  registerStorageMetrics(metricsRegistry, () => (store && storeOpen ? { store, dir: chainDir } : undefined));

  shutdown.register({
    name: 'p2p-stop-accepting',
    phase: 'stop-accepting',
    timeoutMs: 100,
    run: () => {
      node?.registry.stopListening();
      node?.setProducing(false);
    },
  });
  shutdown.register({
    name: 'p2p-disconnect',
    phase: 'disconnect',
    timeoutMs: share('disconnect'),
    run: async () => {
      await node?.registry.stop();
    },
  });
  shutdown.register({
    name: 'chain-drain',
    phase: 'drain',
    timeoutMs: share('drain'),
    run: async () => {
      await node?.stop();
    },
  });
  shutdown.register({
    name: 'validation-pool',
    phase: 'pool',
    timeoutMs: share('pool'),
    run: async () => {
      await pool?.destroy();
    },
  });
  shutdown.register({
    name: 'chain-store',
    phase: 'storage',
    timeoutMs: share('storage'),
    run: async () => {
      if (!store) return;
      storeOpen = false;
      await store.close();
    },
  });

  const api = new ChainApi({
    config,
    genesis,
    genesisHash: ghash,
    node: () => (started ? node : undefined),
    sync: () => sync.info(),
    log,
  });

  const health = (): HealthSnapshot => {
    if (!node || !started) {
      return {
        ready: false,
        height: 0,
        sync: { state: 'starting', targetHeight: 0, progress: 0 },
        peers: 0,
        reasons: ['starting'],
      };
    }
    const reasons: string[] = [];
    if (!storeOpen) reasons.push('chain store closed');
    if (!node.registry.address()) reasons.push('p2p not listening');
    const info = sync.info();
    if (info.state !== 'synced') reasons.push(`sync ${info.state}`);
    const peers = node.registry.peers().length;
    // A node told where its peers are but connected to none (a wrong genesis, a firewall) is
    // not ready, even though it calls itself synced: it follows no one.
    const isolated = peers === 0 && config.p2p.peers.length > 0;
    if (isolated) reasons.push(`no peers (p2p.peers lists ${config.p2p.peers.length})`);
    return {
      ready: storeOpen && node.registry.address() !== undefined && !isolated,
      height: node.chain.tip().height,
      sync: info,
      peers,
      reasons,
    };
  };

  const poolStats = (): PoolStats | undefined => {
    if (!pool) return undefined;
    const s = pool.stats();
    return {
      threads: s.threads,
      queueSize: s.queueSize,
      maxQueue: config.pool.maxQueue,
      utilization: s.utilization,
      waitTimeMs: { p50: s.waitTimeMs.p50, p99: s.waitTimeMs.p99, max: s.waitTimeMs.max },
    };
  };

  const start = async (): Promise<void> => {
    if (shutdown.state !== 'running') throw new Error('shutdown started before the core started');
    store = await openChainStore({
      path: chainDir,
      networkId: genesis.networkId,
      genesisHash: genesisHash(genesis),
    });
    storeOpen = true;
    pool = new ValidationPool({
      threads: config.pool.size,
      maxQueue: config.pool.maxQueue,
      // Longer than its shutdown step: a worker that hangs makes the step time out (a forced
      // stop, exit 70) instead of the pool's own timeout quietly resolving destroy().
      closeTimeoutMs: share('pool') + 1000,
      registry: metricsRegistry,
    });
    node = await ConsensusNode.create({
      genesis,
      identity,
      store,
      validator: pool,
      ...(isValidator
        ? { validatorKey: { publicKey: nodeKey.publicKey, secretKey: nodeKey.secretKey } }
        : {}),
      listen: { host: config.p2p.host, port: config.p2p.port },
      persistentPeers: [...config.p2p.peers],
      registryOptions: {
        agent: NODE_AGENT,
        exemptLoopback: config.registry.exemptLoopback,
        discovery: config.p2p.discovery,
        admission: { maxInbound: config.registry.maxInbound, maxOutbound: config.registry.maxOutbound },
        limits: {
          handshakeTimeoutMs: config.registry.handshakeTimeoutMs,
          requestTimeoutMs: config.registry.requestTimeoutMs,
          pingIntervalMs: config.registry.pingIntervalMs,
          maxQueuedBytesPerPeer: config.registry.maxWriteQueueBytes,
          outboundTarget: Math.min(8, config.registry.maxOutbound),
          // Sockets that do not close by themselves are destroyed with room left in the step.
          closeTimeoutMs: Math.max(50, Math.min(2000, Math.floor(share('disconnect') * 0.6))),
        },
      },
      mempool: { maxCount: config.consensus.mempoolMaxTxs },
      minPeers: config.consensus.minPeersForReorg,
      maxReorgDepth: config.consensus.maxReorgDepth,
      // As for the pool: a chain queue that does not drain shows as a timed-out step.
      closeTimeoutMs: share('drain') + 1000,
      metricsRegistry,
      logger: packageLogger(logger, 'consensus'),
    });
    sync.attach(node);
    const registry = node.registry;
    registry.on('peer:connect', (p) => {
      const plog = peerLogger(log, { id: p.id, address: p.address });
      plog.info({ direction: p.direction, agent: p.agent, height: Number(p.tip.height) }, 'peer connected');
    });
    registry.on('peer:disconnect', (e) => {
      peerLogger(log, { id: e.peerId, address: e.info.address }).info(
        { reason: e.reason },
        'peer disconnected',
      );
    });
    node.on('peer:fault', (e) => {
      peerLogger(log, { id: e.peerId }).warn({ code: e.code, action: e.decision.action }, 'peer reported');
    });
    node.on('produced', (e) => log.debug({ height: e.height, hash: toHex(e.hash) }, 'produced a block'));
    node.on('sync:start', (e) => log.info({ target: e.target, peers: e.peers.length }, 'sync started'));
    node.on('sync:done', (e) =>
      log.info({ height: e.height, target: e.target, ok: !e.error }, 'sync finished'),
    );
    await node.start();
    started = true;
    const tip = node.chain.tip();
    log.info(
      {
        nodeId: registry.nodeId,
        network: genesis.networkId,
        genesisHash: ghash,
        height: tip.height,
        p2p: registry.address(),
        peers: config.p2p.peers.length,
        validator: isValidator,
        slotMs: genesis.slotMs,
        poolThreads: config.pool.size,
      },
      'chain core started',
    );
    if (config.consensus.slotMs !== genesis.slotMs) {
      log.debug(
        { config: config.consensus.slotMs, genesis: genesis.slotMs },
        'consensus.slotMs: the genesis value is used',
      );
    }
  };

  const core: NodeCore = { api, health: { health }, poolStats, start };
  return core;
};
