import { type ChildProcess, spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createDevnetGenesis, type DevnetGenesisOptions } from '../chain/genesis.js';
import { initDatadir } from '../commands/init.js';
import { CONFIG_FILE_NAME } from '../config/defaults.js';
import { generateNodeKey, type NodeKey, toHex } from '../keys.js';
import type { BlockchainInfo, MempoolInfo, PeerInfo } from '../rpc/api.js';
import { RpcClient, rpcUrl } from '../rpc/client.js';
import type { NodeView } from './view.js';

const MARKER = '.tc-devnet';
/** Ping interval of devnet nodes (the RTT column). */
export const DEVNET_PING_MS = 2000;

/** Ports handed out by this process (never twice). */
const handedOut = new Set<number>();

/**
 * A free TCP port on 127.0.0.1 below the usual ephemeral range (32768–60999 on Linux): a port
 * from that range, freed again before a node binds it, can be taken meanwhile by any outbound
 * connection on the machine, and the node would fail with EADDRINUSE. Random in 20000–32767,
 * checked by binding it; bind(0) as a last resort.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 64; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_768);
    if (handedOut.has(port)) continue;
    if (await canBind(port)) {
      handedOut.add(port);
      return port;
    }
  }
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolvePort(a.port) : reject(new Error('no port'))));
    });
  });
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolveBind) => {
    const s = createServer();
    s.once('error', () => resolveBind(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolveBind(true)));
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
  /** host:port of its P2P listener. */
  readonly p2pAddr: string;
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
  /** More genesis options (the validators are the nodes' keys; `slotMs` above wins). */
  readonly genesis?: Omit<DevnetGenesisOptions, 'validators'>;
  /**
   * Config sections merged over each node's (one level deep: `{ consensus: { mempoolMaxTxs } }`
   * keeps the other consensus keys), after the devnet's own (one pool worker, 2 s pings).
   */
  readonly config?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
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
    ...options.genesis,
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
    // N nodes share this machine's cores: one validation worker each; ping every 2 s so the
    // view shows RTTs soon after start.
    const configFile = join(datadir, CONFIG_FILE_NAME);
    const cfg = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, Record<string, unknown>>;
    const merged: Record<string, unknown> = {
      ...cfg,
      pool: { size: 1 },
      // Every devnet node is a 127.0.0.1 peer of the others: loopback skips the per-IP limits.
      registry: { pingIntervalMs: DEVNET_PING_MS, exemptLoopback: true },
    };
    for (const [section, values] of Object.entries(options.config ?? {})) {
      merged[section] = { ...(merged[section] as Record<string, unknown> | undefined), ...values };
    }
    writeFileSync(configFile, `${JSON.stringify(merged, null, 2)}\n`, { mode: 0o600 });
    const rpcAddr = `127.0.0.1:${port.rpc}`;
    return {
      index: i,
      datadir,
      key,
      p2pAddr: `127.0.0.1:${port.p2p}`,
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
      finalized: info.finalizedHeight,
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

/**
 * The devnet's agreement rule: every node is up and reports the same tip hash (hence the same
 * height) in its last poll.
 */
export function tipsAgree(nodes: readonly DevnetNode[]): boolean {
  const first = nodes[0]?.view.tip;
  return first !== undefined && nodes.every((n) => n.view.up && n.view.tip === first);
}

/**
 * Polls every node until their tips agree or `settleMs` passes (bounded: at most
 * settleMs / intervalMs + 1 polls). Blocks keep coming during the window, so a poll that lands
 * between one node connecting a block and the others doing so just tries again.
 */
export async function settleTips(
  nodes: readonly DevnetNode[],
  settleMs: number,
  intervalMs: number,
  cancelled: () => boolean = () => false,
): Promise<boolean> {
  const deadline = Date.now() + settleMs;
  const rounds = Math.ceil(settleMs / Math.max(1, intervalMs)) + 1;
  for (let i = 0; i < rounds; i++) {
    await Promise.all(nodes.map(pollNode));
    if (tipsAgree(nodes)) return true;
    if (cancelled() || Date.now() >= deadline || nodes.some((n) => n.exit !== undefined)) return false;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return false;
}

/**
 * Non-coinbase transactions in the last `maxBlocks` blocks of `n`'s chain up to `height`
 * (getblock, 16 at a time). Returns the count and how many blocks were read.
 */
export async function countConfirmed(
  n: DevnetNode,
  height: number,
  maxBlocks = 2000,
): Promise<{ transactions: number; blocks: number }> {
  const from = Math.max(1, height - maxBlocks + 1);
  let transactions = 0;
  let blocks = 0;
  for (let h = from; h <= height; h += 16) {
    const heights = Array.from({ length: Math.min(16, height - h + 1) }, (_, i) => h + i);
    const views = await Promise.all(heights.map((x) => n.rpc.call<{ txids: string[] }>('getblock', [x, 1])));
    for (const v of views) transactions += Math.max(0, v.txids.length - 1);
    blocks += views.length;
  }
  return { transactions, blocks };
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
