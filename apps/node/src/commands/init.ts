import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDevnetGenesis, writeGenesisFile } from '../chain/genesis.js';
import { addressOfPublicKey } from '../chain/seams.js';
import { CONFIG_FILE_NAME, GENESIS_FILE_NAME, KEY_FILE_NAME } from '../config/defaults.js';
import { loadConfig } from '../config/load.js';
import type { Network } from '../config/schema.js';
import { generateNodeKey, type NodeKey, toHex, writeKeyFile } from '../keys.js';

export interface InitOptions {
  readonly network: Network;
  /** Absolute. */
  readonly datadir: string;
  readonly p2pPort?: number;
  readonly rpcPort?: number;
  readonly p2pHost?: string;
  readonly peers?: readonly string[];
  /** Extra devnet validators (public keys, hex) after this node's own key. */
  readonly extraValidators?: readonly string[];
  /**
   * Devnet: generate this many more validator keys, written to `<datadir>/validator-keys/
   * validator-<i>.json` (0600) and added to the genesis after the node's own key and
   * `extraValidators`. Each can become another node's key (`keyFile`).
   */
  readonly generateValidators?: number;
  /** Devnet: write this genesis instead of a fresh one (the devnet supervisor shares one). */
  readonly genesis?: ReturnType<typeof createDevnetGenesis>;
  /** Devnet slot time for a fresh genesis. */
  readonly slotMs?: number;
  /** Use this key instead of generating one. */
  readonly key?: NodeKey;
  readonly force?: boolean;
}

export interface InitResult {
  readonly datadir: string;
  readonly configFile: string;
  readonly keyFile: string;
  readonly genesisFile?: string;
  /** Files of the keys made by `generateValidators`. */
  readonly validatorKeyFiles: readonly string[];
  readonly publicKey: string;
  readonly address: string;
}

/** The config written by `init`: only what differs by node, everything else stays a default. */
export interface InitConfigFile {
  network: Network;
  datadir: '.';
  p2p: { host?: string; port?: number; peers: string[] };
  rpc: { port?: number };
}

/**
 * Creates a data directory: the node key (0600), `config.json` and, for a devnet, `genesis.json`
 * with the validator set. Refuses to touch an initialised directory unless `force`.
 */
export function initDatadir(options: InitOptions): InitResult {
  const { datadir } = options;
  const configFile = join(datadir, CONFIG_FILE_NAME);
  const keyFile = join(datadir, KEY_FILE_NAME);
  if (!options.force && (existsSync(configFile) || existsSync(keyFile))) {
    throw new Error(`${datadir} is already initialised (use --force to replace its key and config)`);
  }
  // What init writes must load: a bad --port is reported now (ConfigError), before any file is written.
  const flags: Record<string, { value: unknown; flag: string }> = {
    network: { value: options.network, flag: '--network' },
    datadir: { value: datadir, flag: '--datadir' },
  };
  if (options.p2pPort !== undefined) flags['p2p.port'] = { value: options.p2pPort, flag: '--port' };
  if (options.rpcPort !== undefined) flags['rpc.port'] = { value: options.rpcPort, flag: '--rpc-port' };
  if (options.p2pHost !== undefined) flags['p2p.host'] = { value: options.p2pHost, flag: '--p2p-host' };
  if (options.peers !== undefined) flags['p2p.peers'] = { value: [...options.peers], flag: '--peer' };
  loadConfig({ flags, env: {} });
  mkdirSync(datadir, { recursive: true, mode: 0o700 });
  const key = options.key ?? generateNodeKey();
  writeKeyFile(keyFile, key, { force: options.force ?? false });
  const config: InitConfigFile = {
    network: options.network,
    datadir: '.',
    p2p: {
      ...(options.p2pHost ? { host: options.p2pHost } : {}),
      ...(options.p2pPort !== undefined ? { port: options.p2pPort } : {}),
      peers: [...(options.peers ?? [])],
    },
    rpc: { ...(options.rpcPort !== undefined ? { port: options.rpcPort } : {}) },
  };
  writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  let genesisFile: string | undefined;
  const validatorKeyFiles: string[] = [];
  if (options.network === 'devnet') {
    genesisFile = join(datadir, GENESIS_FILE_NAME);
    const generated: string[] = [];
    for (let i = 1; i <= (options.generateValidators ?? 0); i++) {
      const k = generateNodeKey();
      const file = join(datadir, 'validator-keys', `validator-${i}.json`);
      writeKeyFile(file, k, { force: options.force ?? false });
      validatorKeyFiles.push(file);
      generated.push(toHex(k.publicKey));
    }
    const genesis =
      options.genesis ??
      createDevnetGenesis({
        validators: [toHex(key.publicKey), ...(options.extraValidators ?? []), ...generated],
        ...(options.slotMs ? { slotMs: options.slotMs } : {}),
      });
    writeGenesisFile(genesisFile, genesis);
  }
  return {
    datadir,
    configFile,
    keyFile,
    ...(genesisFile ? { genesisFile } : {}),
    validatorKeyFiles,
    publicKey: toHex(key.publicKey),
    address: addressOfPublicKey(key.publicKey),
  };
}
