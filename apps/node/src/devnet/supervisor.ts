import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { createDevnetGenesis } from '../chain/genesis.js';
import { type BuildSignedTransaction, buildSignedTransaction, NotWiredError } from '../chain/seams.js';
import type { Io } from '../commands/common.js';
import { initDatadir } from '../commands/init.js';
import { CONFIG_FILE_NAME } from '../config/load.js';
import { generateNodeKey, type NodeKey, toHex } from '../keys.js';
import type { BlockchainInfo, MempoolInfo, PeerInfo } from '../rpc/api.js';
import { RpcCallError, RpcClient, rpcUrl } from '../rpc/client.js';
import { type DevnetFrame, type NodeView, renderFrame, renderLine, TerminalView } from './view.js';

export interface DevnetOptions {
  /** 1..16. Default 4. */
  readonly nodes?: number;
  /** Transactions per second the generator submits (0: none). Default 1. */
  readonly txRate?: number;
  /** Stop after this many seconds. Without it the devnet runs until Ctrl-C (or stops after 30 s without a TTY). */
  readonly durationS?: number;
  /** Base directory; node i lives in `<dir>/node-<i>`. Default `.tc-devnet` in the working directory. */
  readonly dir?: string;
  /** First port; node i gets p2p basePort+2i and RPC basePort+2i+1. Default: free ports picked by the OS. */
  readonly basePort?: number;
  /** Slot time written into the devnet genesis. Default 1000 ms. */
  readonly slotMs?: number;
  /** The `tc-node` script the children run. Default: this process's script (dist/cli.js). */
  readonly cliPath?: string;
  /** Live terminal view. Default: stdout is a TTY. */
  readonly interactive?: boolean;
  readonly io?: Io;
  /** Poll interval. Default 1000 ms. */
  readonly pollMs?: number;
  /** Wait for a child's own clean exit after SIGTERM before SIGKILL. Default 8000 ms. */
  readonly stopTimeoutMs?: number;
  /** Replaces the transaction builder seam (tests). */
  readonly buildTransaction?: BuildSignedTransaction;
  /** Stops the devnet early when aborted (tests); SIGINT/SIGTERM do the same. */
  readonly signal?: AbortSignal;
  /** Install SIGINT/SIGTERM handlers. Default true. */
  readonly handleSignals?: boolean;
}

export interface DevnetNodeSummary {
  readonly index: number;
  readonly datadir: string;
  readonly rpc: string;
  readonly height: number | null;
  readonly tip: string | null;
  readonly exitCode: number | null;
  readonly signal: string | null;
}

export interface DevnetSummary {
  readonly nodes: readonly DevnetNodeSummary[];
  /** Highest height any node reached. */
  readonly blocks: number;
  /** Transactions accepted by a node (sendrawtransaction succeeded). */
  readonly transactions: number;
  readonly txRejected: number;
  /** Every node reported the same block hash at the lowest common height. */
  readonly tipsAgree: boolean;
  /** Every node was up to the end and exited 0 on SIGTERM. */
  readonly cleanExit: boolean;
  readonly durationS: number;
  readonly reason: string;
}

const MARKER = '.tc-devnet';

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolvePort(a.port) : reject(new Error('no port'))));
    });
  });
}

function prepareDir(dir: string): void {
  if (existsSync(dir) && readdirSync(dir).length > 0 && !existsSync(join(dir, MARKER))) {
    throw new Error(`${dir} exists and is not a devnet directory; choose another --dir`);
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, MARKER), 'created by tc-node devnet; removed and recreated on every run\n');
}

/** The environment for a child: ours without TC_* variables (they would override every node's config). */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('TC_')) env[k] = v;
  env['TC_LOG_FORMAT'] = 'json';
  return env;
}

interface DevnetNode {
  readonly index: number;
  readonly datadir: string;
  readonly key: NodeKey;
  readonly rpc: RpcClient;
  readonly rpcAddr: string;
  child?: ChildProcess;
  exit?: { code: number | null; signal: string | null };
  view: NodeView;
}

/**
 * Runs a local devnet: N `tc-node start` child processes on 127.0.0.1, all validators of one
 * genesis, fully meshed by `--peer`; submits transactions at `txRate`; shows a live view (or a
 * line per interval without a TTY); stops every child with SIGTERM (SIGKILL after
 * `stopTimeoutMs`) on Ctrl-C, at `durationS`, or when a child dies; returns a summary.
 */
export async function runDevnet(options: DevnetOptions = {}): Promise<DevnetSummary> {
  const count = options.nodes ?? 4;
  if (!Number.isInteger(count) || count < 1 || count > 16)
    throw new RangeError('--nodes must be an integer in 1..16');
  const txRate = options.txRate ?? 1;
  if (!(txRate >= 0 && txRate <= 1000)) throw new RangeError('--tx-rate must be in 0..1000');
  const interactive = options.interactive ?? process.stdout.isTTY === true;
  const durationS = options.durationS ?? (interactive ? undefined : 30);
  const io = options.io ?? {
    out: (l: string) => process.stdout.write(`${l}\n`),
    err: (l: string) => process.stderr.write(`${l}\n`),
  };
  const pollMs = options.pollMs ?? 1000;
  const stopTimeoutMs = options.stopTimeoutMs ?? 8000;
  const cliPath = options.cliPath ?? process.argv[1];
  if (!cliPath) throw new Error('cannot tell which tc-node script to run (cliPath)');
  const dir = resolve(options.dir ?? '.tc-devnet');
  const build = options.buildTransaction ?? buildSignedTransaction;
  const started = Date.now();

  // Lay out the nodes: keys, one shared genesis, ports, datadirs.
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
  const nodes: DevnetNode[] = keys.map((key, i) => {
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
      rpc: new RpcClient({ url: rpcUrl('127.0.0.1', port.rpc), timeoutMs: Math.max(500, pollMs) }),
      view: { index: i, rpc: rpcAddr, up: false },
    };
  });

  // Stop conditions.
  let stopReason: string | undefined;
  let wake: (() => void) | undefined;
  const stop = (reason: string) => {
    stopReason ??= reason;
    wake?.();
  };
  const onSignal = (sig: NodeJS.Signals) => {
    if (stopReason === undefined) stop(sig);
    else for (const n of nodes) n.child?.kill('SIGKILL'); // second Ctrl-C: no more waiting
  };
  const killAll = () => {
    for (const n of nodes) if (n.child && n.exit === undefined) n.child.kill('SIGKILL');
  };
  if (options.handleSignals ?? true) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  process.on('exit', killAll);
  options.signal?.addEventListener('abort', () => stop('aborted'), { once: true });

  // Start the children, each in its own process group so a terminal Ctrl-C reaches only us.
  for (const n of nodes) {
    const logFd = openSync(join(n.datadir, 'node.log'), 'a');
    const args = [cliPath, 'start', '--config', join(n.datadir, CONFIG_FILE_NAME), '--stop-with-parent'];
    const child = spawn(process.execPath, args, {
      // stdin is a pipe only so that the child sees EOF if we die without stopping it.
      stdio: ['pipe', logFd, logFd],
      env: childEnv(),
      detached: true,
    });
    closeSync(logFd);
    n.child = child;
    child.on('exit', (code, signal) => {
      n.exit = { code, signal };
      n.view = { ...n.view, up: false, exitCode: code };
      if (stopReason === undefined) stop(`node ${n.index} exited (${code ?? signal})`);
    });
    child.on('error', (e) => {
      n.exit = { code: null, signal: null };
      if (stopReason === undefined) stop(`node ${n.index} failed to start: ${e.message}`);
    });
  }
  io.err(`devnet: ${count} node(s) in ${dir} (logs: node-<i>/node.log)`);

  // Poll, generate transactions, draw.
  const terminal = interactive ? new TerminalView((s) => process.stdout.write(s)) : undefined;
  let txSent = 0;
  let txRejected = 0;
  let txWindow = 0;
  let txDisabled: string | undefined;
  let lastTick = Date.now();
  let txCredit = 0;
  const txTimer =
    txRate > 0
      ? setInterval(
          () => {
            const now = Date.now();
            txCredit = Math.min(txCredit + ((now - lastTick) / 1000) * txRate, Math.max(1, txRate));
            lastTick = now;
            while (txCredit >= 1 && txDisabled === undefined && stopReason === undefined) {
              txCredit -= 1;
              const from = nodes[Math.floor(Math.random() * nodes.length)] as DevnetNode;
              const to = nodes[Math.floor(Math.random() * nodes.length)] as DevnetNode;
              const via = nodes.filter((n) => n.view.up)[0];
              if (!via) break;
              build({ from: from.key, to: toHex(to.key.publicKey), amount: 1n, fee: 0n, rpc: via.rpc })
                .then((tx) => via.rpc.call<string>('sendrawtransaction', [tx.hex]))
                .then(() => {
                  txSent++;
                  txWindow++;
                })
                .catch((error: unknown) => {
                  if (error instanceof NotWiredError) {
                    if (txDisabled === undefined) txDisabled = `transaction generator off: ${error.message}`;
                  } else if (error instanceof RpcCallError) txRejected++;
                });
            }
          },
          Math.max(10, Math.min(1000, Math.floor(1000 / txRate))),
        )
      : undefined;

  const pollNode = async (n: DevnetNode): Promise<void> => {
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
  };

  let lastFrameAt = Date.now();
  while (stopReason === undefined) {
    await Promise.all(nodes.map(pollNode));
    const now = Date.now();
    const elapsedS = (now - started) / 1000;
    const frame: DevnetFrame = {
      elapsedS,
      ...(durationS ? { durationS } : {}),
      nodes: nodes.map((n) => n.view),
      txPerSecond: txWindow / Math.max(0.001, (now - lastFrameAt) / 1000),
      txSent,
      txRejected,
      ...(txDisabled ? { note: txDisabled } : {}),
    };
    txWindow = 0;
    lastFrameAt = now;
    if (terminal) terminal.draw(renderFrame(frame));
    else io.out(renderLine(frame));
    if (durationS !== undefined && elapsedS >= durationS) stop('duration reached');
    if (stopReason !== undefined) break;
    await new Promise<void>((r) => {
      wake = r;
      setTimeout(r, pollMs).unref();
    });
  }
  if (txTimer) clearInterval(txTimer);

  // Final state: agreement at the lowest common height, then stop everyone.
  await Promise.all(nodes.map(pollNode));
  const tipsAgree = await agreement(nodes);
  io.err(`devnet: stopping (${stopReason})`);
  await Promise.all(nodes.map((n) => stopChild(n, stopTimeoutMs)));
  if (options.handleSignals ?? true) {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  process.off('exit', killAll);

  const heights = nodes.map((n) => n.view.height ?? -1);
  const summary: DevnetSummary = {
    nodes: nodes.map((n) => ({
      index: n.index,
      datadir: n.datadir,
      rpc: n.rpcAddr,
      height: n.view.height ?? null,
      tip: n.view.tip ?? null,
      exitCode: n.exit?.code ?? null,
      signal: n.exit?.signal ?? null,
    })),
    blocks: Math.max(0, ...heights),
    transactions: txSent,
    txRejected,
    tipsAgree,
    cleanExit: nodes.every((n) => n.exit?.code === 0),
    durationS: Math.round((Date.now() - started) / 100) / 10,
    reason: stopReason ?? 'stopped',
  };
  return summary;
}

async function agreement(nodes: readonly DevnetNode[]): Promise<boolean> {
  if (nodes.some((n) => !n.view.up || n.view.height === undefined)) return false;
  const common = Math.min(...nodes.map((n) => n.view.height as number));
  try {
    const hashes = await Promise.all(nodes.map((n) => n.rpc.call<string>('getblockhash', [common])));
    return hashes.every((h) => h === hashes[0]);
  } catch {
    return false;
  }
}

function stopChild(n: DevnetNode, timeoutMs: number): Promise<void> {
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

/** The end-of-run summary as text lines. */
export function formatSummary(s: DevnetSummary): string[] {
  return [
    `devnet summary (${s.reason}, ${s.durationS}s)`,
    `  blocks:        ${s.blocks}`,
    `  transactions:  ${s.transactions} accepted, ${s.txRejected} rejected`,
    `  tips agree:    ${s.tipsAgree ? 'yes' : 'NO'}`,
    `  clean exit:    ${s.cleanExit ? 'yes' : 'NO'}`,
    ...s.nodes.map(
      (n) =>
        `  node ${n.index}: height ${n.height ?? '-'} tip ${n.tip ? n.tip.slice(0, 16) : '-'} exit ${n.exitCode ?? n.signal ?? '-'}  ${n.datadir}`,
    ),
  ];
}
