import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { z } from 'zod';
import {
  CONFIG_FILE_NAME,
  type ConfigInput,
  GENESIS_FILE_NAME,
  KEY_FILE_NAME,
  networkDefaults,
} from './defaults.js';
import { CONFIG_FILE_ENV, envNameOf, readEnv } from './env.js';
import { ConfigError, type ConfigIssue } from './errors.js';
import { isLoopbackHost, NETWORKS, type Network, type NodeConfig, nodeConfigSchema } from './schema.js';
import { closestKey, keysAt } from './suggest.js';

export interface LoadConfigOptions {
  /** `--config FILE`. Falls back to `$TC_CONFIG`, then `<datadir>/config.json` if it exists. */
  readonly configFile?: string;
  /** Flag values by dotted key (`{ 'rpc.port': 9000 }`) and the flag that set each. */
  readonly flags?: Readonly<Record<string, { value: unknown; flag: string }>>;
  /** Defaults to process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Defaults to os.availableParallelism(). */
  readonly cpus?: number;
  /** Defaults to os.homedir(). */
  readonly home?: string;
  /** Base for relative paths from flags and env. Defaults to process.cwd(). */
  readonly cwd?: string;
}

export interface LoadedConfig {
  readonly config: NodeConfig;
  /** Where each key's value came from (`default`, `file …`, `env …`, `flag …`). */
  readonly sources: ReadonlyMap<string, string>;
  /** The config file read, if any. */
  readonly configFile?: string;
  /** Non-fatal remarks, e.g. `TC_*` variables that name no key. */
  readonly warnings: readonly string[];
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function getPath(obj: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = obj;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[seg];
  }
  return cur;
}

function setPath(obj: Record<string, unknown>, key: string, value: unknown): void {
  const segs = key.split('.');
  let cur = obj;
  for (const seg of segs.slice(0, -1)) {
    if (!isPlainObject(cur[seg])) cur[seg] = {};
    cur = cur[seg] as Record<string, unknown>;
  }
  cur[segs[segs.length - 1] as string] = value;
}

/** Deep-merges `over` into `base` (objects merge, arrays and scalars replace); records sources of leaves. */
function mergeLayer(
  base: Record<string, unknown>,
  over: Record<string, unknown>,
  source: string,
  sources: Map<string, string>,
  prefix = '',
): void {
  for (const [k, v] of Object.entries(over)) {
    if (k === '__proto__' || k === 'constructor' || k === 'prototype') continue;
    const key = prefix ? `${prefix}.${k}` : k;
    if (isPlainObject(v) && isPlainObject(base[k])) {
      mergeLayer(base[k] as Record<string, unknown>, v, source, sources, key);
    } else {
      base[k] = isPlainObject(v) ? structuredClone(v) : v;
      sources.set(key, source);
    }
  }
}

/** Where `key`'s value came from: its own source or its nearest parent's, else `default`. */
export function sourceOf(sources: ReadonlyMap<string, string>, key: string): string {
  const segs = key.split('.');
  for (let n = segs.length; n > 0; n--) {
    const s = sources.get(segs.slice(0, n).join('.'));
    if (s) return s;
  }
  return 'default';
}

function readConfigFile(file: string, explicit: string): ConfigInput {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError([
      {
        code: 'CONFIG_FILE_UNREADABLE',
        key: 'config',
        value: file,
        expected: `a readable JSON file (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
        source: explicit,
      },
    ]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError([
      {
        code: 'CONFIG_FILE_MALFORMED',
        key: 'config',
        value: file,
        expected: `valid JSON (${(error as Error).message})`,
        source: explicit,
      },
    ]);
  }
  if (!isPlainObject(parsed)) {
    throw new ConfigError([
      {
        code: 'CONFIG_FILE_MALFORMED',
        key: 'config',
        value: file,
        expected: 'a JSON object',
        source: explicit,
      },
    ]);
  }
  return parsed;
}

/** `['p2p', 'peers', 1]` → `p2p.peers[1]`. */
function keyOf(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out;
}

function unknownKeyHint(key: string, known: readonly string[]): string {
  const near = closestKey(key, known);
  const hint = near ? `did you mean \`${near}\`? ` : '';
  return `no such key (${hint}see the config keys in the @tc/node README)`;
}

function issuesOf(error: z.ZodError, merged: unknown, sources: ReadonlyMap<string, string>): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of error.issues) {
    const path = issue.path;
    const named = path.filter((s) => typeof s === 'string').join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) {
        out.push({
          code: 'CONFIG_UNKNOWN_KEY',
          key: keyOf([...path, k]),
          value: getPath(merged, [...path, k]),
          expected: unknownKeyHint(k, keysAt(nodeConfigSchema, path)),
          source: sourceOf(sources, named ? `${named}.${k}` : k),
        });
      }
      continue;
    }
    out.push({
      code: 'CONFIG_INVALID',
      key: keyOf(path) || '(root)',
      value: getPath(merged, path),
      expected: issue.message,
      source: sourceOf(sources, named),
    });
  }
  return out;
}

/**
 * Builds the configuration from four layers, each overriding the one before: network defaults,
 * the config file (JSON), `TC_*` environment variables, command-line flags. The result is
 * validated as a whole; any problem throws one ConfigError that lists every bad key.
 */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const flags = options.flags ?? {};
  const envLayer = readEnv(env);
  const warnings = envLayer.unknown.map((n) => `ignoring environment variable ${n}: it names no config key`);

  // Find the config file: --config, $TC_CONFIG, or <datadir>/config.json when datadir is given.
  let configFile: string | undefined;
  let fileSource = '';
  if (options.configFile !== undefined) {
    configFile = resolve(cwd, options.configFile);
    fileSource = 'flag --config';
  } else if (env[CONFIG_FILE_ENV]) {
    configFile = resolve(cwd, env[CONFIG_FILE_ENV] as string);
    fileSource = `env ${CONFIG_FILE_ENV}`;
  } else {
    const dd = flags['datadir']?.value ?? envLayer.values.get('datadir');
    if (typeof dd === 'string' && dd !== '' && existsSync(join(resolve(cwd, dd), CONFIG_FILE_NAME))) {
      configFile = join(resolve(cwd, dd), CONFIG_FILE_NAME);
      fileSource = 'datadir';
    }
  }
  const file = configFile ? readConfigFile(configFile, fileSource) : {};
  // Relative paths in a file are relative to the file.
  if (configFile) {
    for (const k of ['datadir', 'keyFile', 'genesisFile']) {
      const v = file[k];
      if (typeof v === 'string' && v !== '') file[k] = resolve(dirname(configFile), v);
    }
  }

  const envObj: ConfigInput = {};
  const envSources = new Map<string, string>();
  for (const [key, value] of envLayer.values) {
    setPath(envObj, key, value);
    envSources.set(key, `env ${envNameOf(key)}`);
  }
  const flagObj: ConfigInput = {};
  for (const [key, { value }] of Object.entries(flags)) {
    if (value !== undefined) setPath(flagObj, key, value);
  }
  for (const k of ['datadir', 'keyFile', 'genesisFile']) {
    if (typeof envObj[k] === 'string' && envObj[k] !== '') envObj[k] = resolve(cwd, envObj[k] as string);
    if (typeof flagObj[k] === 'string' && flagObj[k] !== '') flagObj[k] = resolve(cwd, flagObj[k] as string);
  }

  // The network decides the defaults, so it is resolved first (flags > env > file > devnet).
  const sources = new Map<string, string>();
  const networkRaw = flagObj['network'] ?? envObj['network'] ?? file['network'] ?? 'devnet';
  const network: Network = (NETWORKS as readonly unknown[]).includes(networkRaw)
    ? (networkRaw as Network)
    : 'devnet';
  const merged: Record<string, unknown> = {};
  mergeLayer(
    merged,
    networkDefaults(network, options.cpus ?? availableParallelism(), options.home ?? homedir()),
    'default',
    new Map(),
  );
  mergeLayer(merged, file, `file ${configFile ?? ''}`, sources);
  mergeLayer(merged, envObj, '', new Map());
  for (const [key, src] of envSources) sources.set(key, src);
  mergeLayer(merged, flagObj, '', new Map());
  for (const [key, { flag, value }] of Object.entries(flags))
    if (value !== undefined) sources.set(key, `flag ${flag}`);

  const parsed = nodeConfigSchema.safeParse(merged);
  if (!parsed.success) throw new ConfigError(issuesOf(parsed.error, merged, sources));
  const c = parsed.data;

  // Cross-key rules.
  const issues: ConfigIssue[] = [];
  if (!isLoopbackHost(c.rpc.host) && c.rpc.authToken === undefined) {
    issues.push({
      code: 'CONFIG_INVALID',
      key: 'rpc.authToken',
      value: undefined,
      expected: `a token (16..512 printable ASCII characters) because rpc.host ${c.rpc.host} is not a loopback address`,
      source: sourceOf(sources, 'rpc.authToken'),
    });
  }
  if (c.rpc.port !== 0 && c.rpc.port === c.p2p.port) {
    issues.push({
      code: 'CONFIG_INVALID',
      key: 'rpc.port',
      value: c.rpc.port,
      expected: `a port different from p2p.port (${c.p2p.port})`,
      source: sourceOf(sources, 'rpc.port'),
    });
  }
  if (issues.length > 0) throw new ConfigError(issues);

  const config: NodeConfig = {
    ...c,
    keyFile: c.keyFile ?? join(c.datadir, KEY_FILE_NAME),
    genesisFile: c.genesisFile ?? join(c.datadir, GENESIS_FILE_NAME),
  };
  return { config, sources, warnings, ...(configFile ? { configFile } : {}) };
}
