import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createDevnetGenesis } from '../chain/genesis.js';
import { initDatadir } from '../commands/init.js';
import { CONFIG_FILE_NAME } from '../config/defaults.js';
import { generateNodeKey, type NodeKey, toHex } from '../keys.js';
import type { BlockchainInfo, MempoolInfo, PeerInfo } from '../rpc/api.js';
import { RpcClient, rpcUrl } from '../rpc/client.js';
import type { NodeView } from './view.js';

const MARKER = '.tc-devnet';

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolvePort(a.port) : reject(new Error('no port'))));
    });
  });
}

export function prepareDir(dir: string): void {
  if (existsSync(dir) && readdirSync(dir).length > 0 && !existsSync(join(dir, MARKER))) {
    throw new Error(`${dir} exists and is not a devnet directory; choose another --dir`);
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, MARKER), 'created by tc-node devnet; removed and recreated on every run\n');
}

/** The environment for a child: ours without TC_* variables (they would override every node's config). */
export function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('TC_')) env[k] = v;
  env['TC_LOG_FORMAT'] = 'json';
  return env;
}

export interface DevnetNode {
  readonly index: number;
  readonly datadir: string;
  readonly key: NodeKey;
  readonly rpc: RpcClient;
  readonly rpcAddr: string;
  child?: ChildProcess;
  exit?: { code: number | null; signal: string | null };
  view: NodeView;
}

export interface LayoutOptions {
  readonly dir: string;
  readonly count: number;
  readonly slotMs?: number;
  readonly basePort?: number;
  /** RPC client timeout. */
  readonly rpcTimeoutMs: number;
}

/**
 * Creates the devnet directory: one key per node, one genesis with every node as validator,
 * and `node-<i>/` datadirs whose configs list all other nodes as peers.
 */
export async function layoutDevnet(options: LayoutOptions): Promise<DevnetNode[]> {
  const { dir, count } = options;
  prepareDir(dir);
  const keys = Array.from({ length: count }, () => generateNodeKey());
  const genesis = createDevnetGenesis({
    validators: keys.map((k) => toHex(k.publicKey)),
    ...(options.slotMs ? { slotMs: options.slotMs } : {}),
  });
  const ports: { p2p: number; rpc: number }[] = [];
  for (let i = 0; i < count; i++) {
    ports.push(
      options.basePort
        ? { p2p: options.basePort + 2 * i, rpc: options.basePort + 2 * i + 1 }
        : { p2p: await freePort(), rpc: await freePort() },
    );
  }
  return keys.map((key, i) => {
    const datadir = join(dir, `node-${i}`);
    const port = ports[i] as { p2p: number; rpc: number };
    initDatadir({
      network: 'devnet',
      datadir,
      key,
      genesis,
      p2pHost: '127.0.0.1',
      p2pPort: port.p2p,
      rpcPort: port.rpc,
      peers: ports.filter((_, j) => j !== i).map((p) => `127.0.0.1:${p.p2p}`),
    });
    const rpcAddr = `127.0.0.1:${port.rpc}`;
    return {
      index: i,
      datadir,
      key,
      rpcAddr,
      rpc: new RpcClient({ url: rpcUrl('127.0.0.1', port.rpc), timeoutMs: options.rpcTimeoutMs }),
      view: { index: i, rpc: rpcAddr, up: false },
    };
  });
}

/**
 * Starts `tc-node start` for a node in its own process group (a terminal Ctrl-C reaches only
 * the supervisor), logging to `node.log`, with stdin as a pipe so that the child stops by
 * itself if the supervisor dies (`--stop-with-parent`).
 */
export function spawnNode(n: DevnetNode, cliPath: string): ChildProcess {
  const logFd = openSync(join(n.datadir, 'node.log'), 'a');
  try {
    const args = [cliPath, 'start', '--config', join(n.datadir, CONFIG_FILE_NAME), '--stop-with-parent'];
    const child = spawn(process.execPath, args, {
      stdio: ['pipe', logFd, logFd],
      env: childEnv(),
      detached: true,
    });
    n.child = child;
    return child;
  } finally {
    closeSync(logFd);
  }
}

/** Reads a node's state for the view; marks it down when its RPC does not answer. */
export async function pollNode(n: DevnetNode): Promise<void> {
  if (n.exit !== undefined) return;
  try {
    const [info, peers, mempool] = await Promise.all([
      n.rpc.call<BlockchainInfo>('getblockchaininfo'),
      n.rpc.call<PeerInfo[]>('getpeerinfo'),
      n.rpc.call<MempoolInfo>('getmempoolinfo'),
    ]);
    const rtts = peers.map((p) => p.rttMs).filter((r): r is number => typeof r === 'number');
    n.view = {
      index: n.index,
      rpc: n.rpcAddr,
      up: true,
      height: info.height,
      tip: info.bestBlockHash,
      peers: peers.length,
      mempool: mempool.size,
      rttMs: rtts.length > 0 ? rtts.reduce((a, b) => a + b, 0) / rtts.length : null,
      sync: info.sync,
    };
  } catch (error) {
    n.view = { index: n.index, rpc: n.rpcAddr, up: false, error: (error as Error).message.slice(0, 60) };
  }
}

/** Every node has the same block hash at the lowest height they all have. */
export async function agreement(nodes: readonly DevnetNode[]): Promise<boolean> {
  if (nodes.some((n) => !n.view.up || n.view.height === undefined)) return false;
  const common = Math.min(...nodes.map((n) => n.view.height as number));
  try {
    const hashes = await Promise.all(nodes.map((n) => n.rpc.call<string>('getblockhash', [common])));
    return hashes.every((h) => h === hashes[0]);
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after `timeoutMs`; resolves when the child has exited. */
export function stopChild(n: DevnetNode, timeoutMs: number): Promise<void> {
  const child = n.child;
  if (!child || n.exit !== undefined) return Promise.resolve();
  return new Promise((done) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      // Let the 'exit' handler registered at spawn record the code first.
      setImmediate(done);
    });
    child.kill('SIGTERM');
  });
}
