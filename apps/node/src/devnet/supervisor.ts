import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildSignedTransaction, buildSignedTransaction } from '../chain/seams.js';
import type { Io } from '../commands/common.js';
import { countConfirmed, layoutDevnet, pollNode, settleTips, spawnNode, stopChild } from './nodes.js';
import { TxGenerator } from './tx-generator.js';
import { type DevnetFrame, renderFrame, renderLine, TerminalView } from './view.js';

export interface DevnetOptions {
  /** 1..16. Default 4. */
  readonly nodes?: number;
  /** Transactions per second the generator submits (0: none). Default 1. */
  readonly txRate?: number;
  /**
   * Stop this many seconds after every node answers RPC (startup is not counted). Without it the
   * devnet runs until Ctrl-C, or for 30 s without a TTY.
   */
  readonly durationS?: number;
  /** Base directory; node i lives in `<dir>/node-<i>`. Default `.tc-devnet` in the working directory. */
  readonly dir?: string;
  /** First port; node i gets p2p basePort+2i and RPC basePort+2i+1. Default: free ports picked by the OS. */
  readonly basePort?: number;
  /** Slot time written into the devnet genesis. Default 1000 ms. */
  readonly slotMs?: number;
  /** The `tc-node` script the children run. Default: this package's dist/cli.js (`packageCli()`). */
  readonly cliPath?: string;
  /** Live terminal view. Default: stdout is a TTY. */
  readonly interactive?: boolean;
  readonly io?: Io;
  /** Poll interval. Default 1000 ms. */
  readonly pollMs?: number;
  /** Wait for a child's own clean exit after SIGTERM before SIGKILL. Default 8000 ms. */
  readonly stopTimeoutMs?: number;
  /** Give up when not every node answers RPC within this long. Default 30 000 ms. */
  readonly startupTimeoutMs?: number;
  /** Replaces the transaction builder seam (tests). */
  readonly buildTransaction?: BuildSignedTransaction;
  /** Stops the devnet early when aborted (tests); SIGINT/SIGTERM do the same. */
  readonly signal?: AbortSignal;
  /** Install SIGINT/SIGTERM handlers. Default true. */
  readonly handleSignals?: boolean;
  /**
   * After the transaction generator stops, how long the nodes may take to agree on one tip.
   * Default max(3000, 4 × slotMs).
   */
  readonly settleMs?: number;
}

export interface DevnetNodeSummary {
  readonly index: number;
  readonly datadir: string;
  readonly rpc: string;
  readonly height: number | null;
  /** Its finalized height at the last poll. */
  readonly finalized: number | null;
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
  /** Non-coinbase transactions in the blocks of the agreed chain (of node 0 when tips differ). */
  readonly confirmedTransactions: number | null;
  /**
   * Every node was up and reported the same tip hash, within the settle window after the
   * transaction generator stopped.
   */
  readonly tipsAgree: boolean;
  /** The agreed tip (or node 0's), hex. */
  readonly tipHash: string | null;
  /** Every node was up to the end and exited 0 on SIGTERM. */
  readonly cleanExit: boolean;
  readonly durationS: number;
  readonly reason: string;
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
  const startupTimeoutMs = options.startupTimeoutMs ?? 30_000;
  const cliPath = options.cliPath ?? packageCli();
  const dir = resolve(options.dir ?? '.tc-devnet');
  const build = options.buildTransaction ?? buildSignedTransaction;
  const started = Date.now();

  const nodes = await layoutDevnet({
    dir,
    count,
    ...(options.slotMs ? { slotMs: options.slotMs } : {}),
    ...(options.basePort ? { basePort: options.basePort } : {}),
    rpcTimeoutMs: Math.max(500, pollMs),
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

  for (const n of nodes) {
    const child = spawnNode(n, cliPath);
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
  const terminal = interactive
    ? new TerminalView(
        (s) => process.stdout.write(s),
        () => process.stdout.columns,
      )
    : undefined;
  // While the table is drawn, messages clear it first, so its cursor arithmetic holds.
  const say = (line: string) => (terminal ? terminal.message(line, io.err) : io.err(line));
  const txs = new TxGenerator(nodes, txRate, build);
  txs.start();

  let lastFrameAt = Date.now();
  let readyAt: number | undefined; // when every node first answered; the duration counts from here
  while (stopReason === undefined) {
    await Promise.all(nodes.map(pollNode));
    const now = Date.now();
    if (readyAt === undefined && nodes.every((n) => n.view.up)) {
      readyAt = now;
      say(`devnet: all ${count} node(s) up after ${((now - started) / 1000).toFixed(1)}s`);
    }
    if (readyAt === undefined && now - started > startupTimeoutMs) {
      stop(`not every node answered within ${startupTimeoutMs / 1000}s (see node-<i>/node.log)`);
    }
    // The clock runs from the start; a --duration counts from when every node was up.
    const elapsedS = (now - started) / 1000;
    const upS = readyAt === undefined ? 0 : (now - readyAt) / 1000;
    const intervalS = Math.max(0.001, (now - lastFrameAt) / 1000);
    const perNode = txs.takeNodeWindow();
    const frame: DevnetFrame = {
      elapsedS,
      upS,
      ...(durationS ? { durationS } : {}),
      nodes: nodes.map((n) =>
        n.view.up ? { ...n.view, txPerSecond: (perNode.get(n.index) ?? 0) / intervalS } : n.view,
      ),
      txPerSecond: txs.takeWindow() / intervalS,
      txSent: txs.sent,
      txRejected: txs.rejected,
      ...(txs.disabled ? { note: txs.disabled } : {}),
    };
    lastFrameAt = now;
    if (terminal) terminal.draw(renderFrame(frame));
    else io.out(renderLine(frame));
    if (readyAt !== undefined && durationS !== undefined && upS >= durationS) stop('duration reached');
    if (stopReason !== undefined) break;
    await new Promise<void>((r) => {
      wake = r;
      setTimeout(r, pollMs).unref();
    });
  }
  txs.stop();
  terminal?.close();
  if (txs.lastError) io.err(`devnet: last rejected transaction: ${txs.lastError}`);

  // Final state: the same tip on every node within the settle window, then stop everyone.
  const slotMs = options.slotMs ?? 1000;
  const settleMs = options.settleMs ?? Math.max(3000, 4 * slotMs);
  let forced = false;
  const onSecond = () => {
    forced = true;
  };
  process.once('SIGINT', onSecond);
  const tipsAgree = await settleTips(nodes, settleMs, Math.max(50, Math.min(250, slotMs / 4)), () => forced);
  process.off('SIGINT', onSecond);
  const reference = nodes.find((n) => n.view.up && n.view.height !== undefined);
  let confirmed: number | null = null;
  if (reference && !forced) {
    try {
      confirmed = (await countConfirmed(reference, reference.view.height as number)).transactions;
    } catch {
      confirmed = null;
    }
  }
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
      finalized: n.view.finalized ?? null,
      tip: n.view.tip ?? null,
      exitCode: n.exit?.code ?? null,
      signal: n.exit?.signal ?? null,
    })),
    blocks: Math.max(0, ...heights),
    transactions: txs.sent,
    txRejected: txs.rejected,
    confirmedTransactions: confirmed,
    tipsAgree,
    tipHash: reference?.view.tip ?? null,
    cleanExit: nodes.every((n) => n.exit?.code === 0),
    durationS: Math.round((Date.now() - started) / 100) / 10,
    reason: stopReason ?? 'stopped',
  };
  return summary;
}

/** The end-of-run summary as text lines. */
export function formatSummary(s: DevnetSummary): string[] {
  return [
    `devnet summary (${s.reason}, ${s.durationS}s)`,
    `  blocks:        ${s.blocks}`,
    `  transactions:  ${s.transactions} accepted, ${s.txRejected} rejected, ${s.confirmedTransactions ?? '?'} in blocks`,
    `  tips agree:    ${s.tipsAgree ? `yes (${s.tipHash?.slice(0, 16) ?? '-'} at height ${s.blocks})` : 'NO'}`,
    `  clean exit:    ${s.cleanExit ? 'yes' : 'NO'}`,
    ...s.nodes.map(
      (n) =>
        `  node ${n.index}: height ${n.height ?? '-'} final ${n.finalized ?? '-'} tip ${n.tip ? n.tip.slice(0, 16) : '-'} exit ${n.exitCode ?? n.signal ?? '-'}  ${n.datadir}`,
    ),
  ];
}

/**
 * This package's own `tc-node` executable (dist/cli.js), whoever called runDevnet: the default
 * was `process.argv[1]`, so a library caller's devnet re-ran the caller's own script.
 */
export function packageCli(): string {
  // Bundled, this module sits in dist/ beside cli.js; from the sources (tests) it is two levels down.
  for (const relative of ['./cli.js', '../../dist/cli.js']) {
    const candidate = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(candidate)) return candidate;
  }
  throw new Error('@tc/node is not built: dist/cli.js is missing (run `pnpm turbo build`)');
}
