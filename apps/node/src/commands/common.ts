import { loadConfig, sourceOf } from '../config/load.js';
import { RpcClient, rpcUrl } from '../rpc/client.js';

/** Where a command's normal output goes; tests and the devnet view replace it. */
export interface Io {
  out(line: string): void;
  err(line: string): void;
}

export const processIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** A command line that parses but makes no sense (exit 64). */
export class UsageError extends Error {
  readonly code = 'USAGE' as const;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A number flag: digits become a number; anything else is passed on so the config names it. */
export function numberOrRaw(value: string): number | string {
  return /^\d{1,15}$/.test(value.trim()) ? Number(value) : value;
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Options shared by start/status/tx: locate the config. */
export interface ConfigLocatorOptions {
  readonly config?: string;
  readonly datadir?: string;
  readonly network?: string;
}

type Flags = Record<string, { value: unknown; flag: string }>;

export function flag(flags: Flags, key: string, value: unknown, name: string): void {
  if (value !== undefined) flags[key] = { value, flag: name };
}

export interface RpcTargetOptions extends ConfigLocatorOptions {
  readonly rpcUrl?: string;
  readonly rpcToken?: string;
  readonly rpcTimeout?: number | string;
}

/**
 * The RPC client of a command that talks to a node: `--rpc-url` (and `--rpc-token` or
 * $TC_RPC_AUTH_TOKEN) when given, else rpc.host/port/authToken from the node's config.
 */
/**
 * The RPC client a command talks to: `--rpc-url`, else the node whose config `--config`,
 * `--datadir` or the environment names. With none of them, `note` says which default node it
 * tries, so a missing `--datadir` is not a silent attempt at the default port.
 */
export function rpcClientFor(opts: RpcTargetOptions, note?: (line: string) => void): RpcClient {
  const timeoutMs = typeof opts.rpcTimeout === 'number' ? opts.rpcTimeout : 5000;
  if (opts.rpcUrl) {
    const token = opts.rpcToken ?? process.env['TC_RPC_AUTH_TOKEN'];
    return new RpcClient({ url: opts.rpcUrl, timeoutMs, ...(token ? { authToken: token } : {}) });
  }
  const flags: Flags = {};
  flag(flags, 'datadir', opts.datadir, '--datadir');
  flag(flags, 'network', opts.network, '--network');
  const { config, sources, configFile } = loadConfig({
    ...(opts.config ? { configFile: opts.config } : {}),
    flags,
  });
  const token = opts.rpcToken ?? config.rpc.authToken;
  const url = rpcUrl(config.rpc.host, config.rpc.port);
  const chosen =
    configFile !== undefined ||
    ['datadir', 'rpc.port', 'rpc.host'].some((k) => sourceOf(sources, k) !== 'default');
  if (!chosen) {
    note?.(
      `tc-node: no --rpc-url, --datadir or --config: trying the default node at ${url} (datadir ${config.datadir})`,
    );
  }
  return new RpcClient({
    url,
    timeoutMs,
    ...(token ? { authToken: token } : {}),
  });
}
