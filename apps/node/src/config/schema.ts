import { z } from 'zod';

/**
 * The whole node configuration as one zod schema. Every leaf carries an `expected` text that
 * ConfigError quotes, so a bad value reads `rpc.port = 99999 (env TC_RPC_PORT): expected an
 * integer in 0..65535`. Objects are strict: an unknown key is an error, not silently ignored.
 *
 * Defaults that depend on the network (ports, p2p host, slot time, datadir) are not here; they
 * are the lowest layer of the loader (see `networkDefaults` in load.ts).
 */

export const NETWORKS = ['devnet', 'testnet'] as const;
export type Network = (typeof NETWORKS)[number];
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;

const MiB = 1024 * 1024;

/** An integer in min..max, with one expectation text for every way it can be wrong. */
function int(min: number, max: number, unit = '') {
  const error = `an integer in ${min}..${max}${unit ? ` (${unit})` : ''}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

function nonEmpty(what: string, max = 4096) {
  const error = `${what} (1..${max} characters)`;
  return z.string({ error }).min(1, { error }).max(max, { error });
}

const HOST_RE = /^(?:\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-f:]+:[0-9A-Fa-f:.]*|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}))$/;
const host = z
  .string({ error: 'a hostname or IP address' })
  .regex(HOST_RE, { error: 'a hostname or IP address' });

const PEER_RE = /^(?<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})):(?<port>\d{1,5})$/;
const peerExpected = 'HOST:PORT with a port in 1..65535 (IPv6 as [addr]:port)';
export const peerAddress = z.string({ error: peerExpected }).refine(
  (s) => {
    const m = PEER_RE.exec(s);
    const port = Number(m?.groups?.port);
    return m !== null && port >= 1 && port <= 65535;
  },
  { error: peerExpected },
);

const authToken = z
  .string({ error: 'a token of 16..512 printable ASCII characters' })
  .regex(/^[\x21-\x7e]{16,512}$/, { error: 'a token of 16..512 printable ASCII characters' });

export const p2pSchema = z.strictObject({
  /** Address the p2p listener binds to. */
  host,
  /** p2p listen port; 0 picks a free port. */
  port: int(0, 65535),
  /** Peers dialled at start and kept connected. */
  peers: z.array(peerAddress, { error: `a list of ${peerExpected}` }).max(256, {
    error: `at most 256 peers`,
  }),
  /** Registry discovery: ask peers for addresses and dial them. false = dial only `peers` (and addnode). */
  discovery: z.boolean({ error: 'true or false' }),
});

export const rpcSchema = z.strictObject({
  /** Address the JSON-RPC/metrics/health server binds to; non-loopback requires authToken. */
  host,
  /** JSON-RPC, /metrics and /health port; 0 picks a free port. */
  port: int(0, 65535),
  /** Bearer token for RPC and /metrics. Required when host is not a loopback address. */
  authToken: authToken.optional(),
  /** Largest request body; bigger gets HTTP 413. */
  maxBodyBytes: int(1024, 64 * MiB, 'bytes'),
  /** Most calls in one batch request. */
  maxBatch: int(1, 1000),
  /** A call that takes longer answers -32002. */
  requestTimeoutMs: int(100, 600_000, 'ms'),
  /** Concurrent HTTP connections; more are refused by the socket layer. */
  maxConnections: int(1, 10_000),
  /** Calls being executed at once; more answer -32005 (overloaded). */
  maxInflight: int(1, 10_000),
});

export const metricsSchema = z.strictObject({
  /** Serve GET /metrics on the RPC server. */
  enabled: z.boolean({ error: 'true or false' }),
});

export const logSchema = z.strictObject({
  level: z.enum(LOG_LEVELS, { error: `one of ${LOG_LEVELS.join(', ')}` }),
  /** auto: pretty on a TTY, JSON otherwise. */
  format: z.enum(LOG_FORMATS, { error: `one of ${LOG_FORMATS.join(', ')}` }),
});

export const poolSchema = z.strictObject({
  /** Validation/hashing worker threads. Default max(1, cores - 1). */
  size: int(1, 256, 'threads'),
  /** Tasks waiting for a worker; more are refused (backpressure). */
  maxQueue: int(1, 1_000_000, 'tasks'),
});

/** The subset of @tc/registry limits an operator may need to change. */
export const registrySchema = z.strictObject({
  maxInbound: int(0, 1000, 'connections'),
  maxOutbound: int(0, 1000, 'connections'),
  handshakeTimeoutMs: int(100, 120_000, 'ms'),
  requestTimeoutMs: int(100, 600_000, 'ms'),
  pingIntervalMs: int(100, 600_000, 'ms'),
  maxWriteQueueBytes: int(64 * 1024, 1024 * MiB, 'bytes'),
  banDurationMs: int(1000, 365 * 86_400_000, 'ms'),
  /**
   * 127.0.0.0/8 and ::1 peers skip the per-IP and per-/24 connection limits. Off by default: one
   * local process could otherwise fill every slot; `tc-node devnet` turns it on (every node there
   * shares 127.0.0.1).
   */
  exemptLoopback: z.boolean({ error: 'true or false' }),
});

export const consensusSchema = z.strictObject({
  /** Target time between blocks (the genesis value wins once @tc/consensus reads it). */
  slotMs: int(50, 3_600_000, 'ms'),
  /** The leader attempt advances after this long. Default: slotMs. */
  leaderTimeoutMs: int(50, 3_600_000, 'ms').optional(),
  /** How far a block timestamp may be ahead of the local clock. */
  futureToleranceMs: int(0, 600_000, 'ms'),
  /** Distinct peers that must offer a heavier fork before a reorg. */
  minPeersForReorg: int(1, 1000, 'peers'),
  /** Deepest reorg accepted; deeper forks are refused. */
  maxReorgDepth: int(1, 100_000, 'blocks'),
  /** Transactions held in the mempool. */
  mempoolMaxTxs: int(1, 10_000_000, 'transactions'),
});

export const nodeConfigSchema = z.strictObject({
  network: z.enum(NETWORKS, { error: `one of ${NETWORKS.join(', ')}` }),
  /** Data directory: key, config, genesis, chain store. */
  datadir: nonEmpty('a directory path'),
  /** Node key file. Default: <datadir>/node-key.json. */
  keyFile: nonEmpty('a file path').optional(),
  /** Genesis file. Default: <datadir>/genesis.json. */
  genesisFile: nonEmpty('a file path').optional(),
  p2p: p2pSchema,
  rpc: rpcSchema,
  metrics: metricsSchema,
  log: logSchema,
  pool: poolSchema,
  /** Overall shutdown deadline; steps that do not finish in time are abandoned (exit 70). */
  shutdownTimeoutMs: int(100, 600_000, 'ms'),
  registry: registrySchema,
  consensus: consensusSchema,
});

/** A validated configuration, before paths are resolved. */
export type ParsedConfig = z.output<typeof nodeConfigSchema>;

/** A validated configuration with every default filled in and paths absolute. */
export type NodeConfig = ParsedConfig & {
  readonly keyFile: string;
  readonly genesisFile: string;
};

/** Loopback addresses: an RPC server bound to one of these may run without a token. */
export function isLoopbackHost(h: string): boolean {
  const bare = h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
  return bare === 'localhost' || bare === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare);
}
