import { join } from 'node:path';
import { DEFAULT_POOL_MAX_QUEUE, defaultPoolThreads } from '@tc/consensus';
import type { Network } from './schema.js';

/** A raw, unvalidated (partial) config object: what a file, the env or the flags supply. */
export type ConfigInput = Record<string, unknown>;

/** Name of the config file inside a datadir (written by `tc-node init`). */
export const CONFIG_FILE_NAME = 'config.json';
export const KEY_FILE_NAME = 'node-key.json';
export const GENESIS_FILE_NAME = 'genesis.json';

/** Defaults that depend on the network. The lowest layer; everything else overrides it. */
export function networkDefaults(network: Network, cpus: number, home: string): ConfigInput {
  const devnet = network === 'devnet';
  return {
    network,
    datadir: join(home, '.tc', network),
    p2p: { host: devnet ? '127.0.0.1' : '0.0.0.0', port: devnet ? 17700 : 7700, peers: [], discovery: true },
    rpc: {
      host: '127.0.0.1',
      port: devnet ? 17800 : 7800,
      maxBodyBytes: 1024 * 1024,
      maxBatch: 100,
      requestTimeoutMs: 30_000,
      maxConnections: 64,
      maxInflight: 64,
    },
    metrics: { enabled: true },
    log: { level: 'info', format: 'auto' },
    // The consensus package's own defaults, so the app and the pool cannot disagree.
    pool: { size: defaultPoolThreads(cpus), maxQueue: DEFAULT_POOL_MAX_QUEUE },
    shutdownTimeoutMs: 5000,
    registry: {
      maxInbound: 24,
      maxOutbound: 8,
      handshakeTimeoutMs: 5000,
      requestTimeoutMs: 10_000,
      pingIntervalMs: 10_000,
      maxWriteQueueBytes: 16 * 1024 * 1024,
      banDurationMs: 86_400_000,
      exemptLoopback: false,
    },
    consensus: {
      slotMs: devnet ? 1000 : 10_000,
      futureToleranceMs: 2000,
      minPeersForReorg: 1,
      maxReorgDepth: 100,
      mempoolMaxTxs: 10_000,
    },
  };
}
