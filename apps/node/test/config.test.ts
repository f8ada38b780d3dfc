import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, ENV_VARS, envNameOf, loadConfig } from '../src/config/index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tc-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function writeJson(name: string, value: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('defaults', () => {
  it('fills every key from the network defaults', () => {
    const { config, configFile } = loadConfig({ env: {}, home: '/home/u', cpus: 4 });
    expect(configFile).toBeUndefined();
    expect(config.network).toBe('devnet');
    expect(config.datadir).toBe('/home/u/.tc/devnet');
    expect(config.keyFile).toBe('/home/u/.tc/devnet/node-key.json');
    expect(config.genesisFile).toBe('/home/u/.tc/devnet/genesis.json');
    expect(config.rpc).toMatchObject({ host: '127.0.0.1', port: 17800, maxBodyBytes: 1024 * 1024 });
    expect(config.pool.size).toBe(3);
    expect(config.shutdownTimeoutMs).toBe(5000);
    expect(config.consensus).toMatchObject({ slotMs: 1000, minPeersForReorg: 1, maxReorgDepth: 100 });
  });

  it('pool size is at least 1 on one core; testnet has its own ports and slot time', () => {
    const { config } = loadConfig({ env: { TC_NETWORK: 'testnet' }, home: '/h', cpus: 1 });
    expect(config.pool.size).toBe(1);
    expect(config.p2p).toMatchObject({ host: '0.0.0.0', port: 7700 });
    expect(config.rpc.port).toBe(7800);
    expect(config.consensus.slotMs).toBe(10_000);
  });

  it('loopback peers are limited like any address unless the operator lifts it (the devnet does)', () => {
    expect(loadConfig({ env: {}, home: '/h' }).config.registry.exemptLoopback).toBe(false);
    expect(loadConfig({ env: { TC_NETWORK: 'testnet' }, home: '/h' }).config.registry.exemptLoopback).toBe(
      false,
    );
    const lifted = loadConfig({ env: { TC_REGISTRY_EXEMPT_LOOPBACK: 'true' }, home: '/h' });
    expect(lifted.config.registry.exemptLoopback).toBe(true);
  });
});

describe('precedence: file < env < flags', () => {
  it('each layer overrides the one below and sources say where a value came from', () => {
    const file = writeJson('c.json', {
      rpc: { port: 1001, maxBatch: 7 },
      p2p: { port: 2001, peers: ['a.example:1'] },
      log: { level: 'debug' },
    });
    const { config, sources, configFile } = loadConfig({
      configFile: file,
      env: { TC_RPC_PORT: '1002', TC_P2P_PEERS: 'b.example:2, c.example:3', TC_LOG_LEVEL: 'warn' },
      flags: { 'rpc.port': { value: 1003, flag: '--rpc-port' } },
      home: '/h',
    });
    expect(configFile).toBe(file);
    expect(config.rpc.port).toBe(1003);
    expect(config.rpc.maxBatch).toBe(7);
    expect(config.p2p.port).toBe(2001);
    expect(config.p2p.peers).toEqual(['b.example:2', 'c.example:3']);
    expect(config.log.level).toBe('warn');
    expect(sources.get('rpc.port')).toBe('flag --rpc-port');
    expect(sources.get('rpc.maxBatch')).toBe(`file ${file}`);
    expect(sources.get('log.level')).toBe('env TC_LOG_LEVEL');
  });

  it('finds <datadir>/config.json and resolves relative paths against the file', () => {
    writeJson('config.json', { genesisFile: 'g.json', rpc: { port: 1234 } });
    const { config } = loadConfig({ env: { TC_DATADIR: dir }, home: '/h' });
    expect(config.rpc.port).toBe(1234);
    expect(config.genesisFile).toBe(join(dir, 'g.json'));
  });

  it('TC_CONFIG names the file; unknown TC_ variables are warnings', () => {
    const file = writeJson('x.json', { shutdownTimeoutMs: 1500 });
    const { config, warnings } = loadConfig({ env: { TC_CONFIG: file, TC_NOT_A_KEY: '1' }, home: '/h' });
    expect(config.shutdownTimeoutMs).toBe(1500);
    expect(warnings).toEqual(['ignoring environment variable TC_NOT_A_KEY: it names no config key']);
  });
});

describe('named errors', () => {
  it('names the key, the value, the source and the expectation', () => {
    const e = configError(() => loadConfig({ env: { TC_RPC_PORT: '99999' }, home: '/h' }));
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toBe(
      'invalid configuration: rpc.port = 99999 (env TC_RPC_PORT): expected an integer in 0..65535',
    );
    expect(e.issues[0]).toMatchObject({ key: 'rpc.port', value: 99999, source: 'env TC_RPC_PORT' });
  });

  it('a non-numeric env value is reported as given', () => {
    const e = configError(() => loadConfig({ env: { TC_POOL_SIZE: 'many' }, home: '/h' }));
    expect(e.message).toContain('pool.size = "many" (env TC_POOL_SIZE): expected an integer in 1..256');
  });

  it('lists every problem, with array indexes', () => {
    const file = writeJson('c.json', { p2p: { peers: ['ok.example:1', 'nope'] }, log: { level: 'loud' } });
    const e = configError(() => loadConfig({ configFile: file, env: {}, home: '/h' }));
    expect(e.issues.map((i) => i.key)).toEqual(['p2p.peers[1]', 'log.level']);
    expect(e.message).toContain(`p2p.peers[1] = "nope" (file ${file}): expected HOST:PORT`);
    expect(e.message).toContain('log.level = "loud"');
    expect(e.message).toContain('expected one of fatal, error, warn, info, debug, trace, silent');
  });

  it('an unknown key is an error', () => {
    const file = writeJson('c.json', { rpc: { prot: 1 } });
    const e = configError(() => loadConfig({ configFile: file, env: {}, home: '/h' }));
    expect(e.code).toBe('CONFIG_UNKNOWN_KEY');
    expect(e.issues[0]).toMatchObject({ key: 'rpc.prot', value: 1 });
    expect(e.message).toContain('did you mean `port`?');
    const top = configError(() =>
      loadConfig({
        configFile: writeJson('d.json', { genesisFiel: 'g.json', zzzzzz: 1 }),
        env: {},
        home: '/h',
      }),
    );
    expect(top.message).toContain('did you mean `genesisFile`?');
    expect(top.issues.find((i) => i.key === 'zzzzzz')?.expected).not.toContain('did you mean');
  });

  it('refuses a non-loopback RPC bind without a token, accepts it with one', () => {
    const flags = { 'rpc.host': { value: '0.0.0.0', flag: '--rpc-host' } };
    const e = configError(() => loadConfig({ flags, env: {}, home: '/h' }));
    expect(e.issues[0]?.key).toBe('rpc.authToken');
    expect(e.message).toContain('because rpc.host 0.0.0.0 is not a loopback address');
    const ok = loadConfig({ flags, env: { TC_RPC_AUTH_TOKEN: 'abcdefghijklmnop' }, home: '/h' });
    expect(ok.config.rpc.authToken).toBe('abcdefghijklmnop');
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) {
      expect(loadConfig({ env: { TC_RPC_HOST: host }, home: '/h' }).config.rpc.host).toBe(host);
    }
  });

  it('a short token, equal ports, a bad network are refused', () => {
    expect(
      configError(() => loadConfig({ env: { TC_RPC_AUTH_TOKEN: 'short' }, home: '/h' })).issues[0]?.key,
    ).toBe('rpc.authToken');
    expect(
      configError(() => loadConfig({ env: { TC_RPC_PORT: '5000', TC_P2P_PORT: '5000' }, home: '/h' }))
        .message,
    ).toContain('rpc.port = 5000 (env TC_RPC_PORT): expected a port different from p2p.port (5000)');
    expect(configError(() => loadConfig({ env: { TC_NETWORK: 'mainnet' }, home: '/h' })).message).toContain(
      'network = "mainnet" (env TC_NETWORK): expected one of devnet, testnet',
    );
  });

  it('an unreadable or malformed file is named', () => {
    const missing = configError(() =>
      loadConfig({ configFile: join(dir, 'nope.json'), env: {}, home: '/h' }),
    );
    expect(missing.code).toBe('CONFIG_FILE_UNREADABLE');
    expect(missing.message).toContain('nope.json');
    expect(missing.message).toContain('ENOENT');
    const bad = configError(() =>
      loadConfig({ configFile: writeJson('b.json', '{ not json'), env: {}, home: '/h' }),
    );
    expect(bad.code).toBe('CONFIG_FILE_MALFORMED');
    const arr = configError(() =>
      loadConfig({ configFile: writeJson('a.json', '[1]'), env: {}, home: '/h' }),
    );
    expect(arr.message).toContain('expected a JSON object');
  });
});

describe('environment mapping', () => {
  it('derives names from keys and covers every leaf', () => {
    expect(envNameOf('rpc.authToken')).toBe('TC_RPC_AUTH_TOKEN');
    expect(envNameOf('shutdownTimeoutMs')).toBe('TC_SHUTDOWN_TIMEOUT_MS');
    expect(envNameOf('consensus.minPeersForReorg')).toBe('TC_CONSENSUS_MIN_PEERS_FOR_REORG');
    const names = ENV_VARS.map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain('TC_P2P_PEERS');
    expect(ENV_VARS.find((v) => v.key === 'metrics.enabled')?.kind).toBe('bool');
  });

  it('converts booleans and lists', () => {
    const { config } = loadConfig({ env: { TC_METRICS_ENABLED: 'no', TC_P2P_PEERS: '' }, home: '/h' });
    expect(config.metrics.enabled).toBe(false);
    expect(config.p2p.peers).toEqual([]);
  });
});
