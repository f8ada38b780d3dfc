import type { SyncState } from '../rpc/api.js';

/** What the view shows about one node, from its last poll. */
export interface NodeView {
  readonly index: number;
  readonly rpc: string;
  readonly up: boolean;
  readonly height?: number;
  /** Height of the finalized block (consensus README 15). */
  readonly finalized?: number;
  readonly tip?: string;
  readonly peers?: number;
  readonly mempool?: number;
  /** Mean ping RTT to its peers, ms. */
  readonly rttMs?: number | null;
  /** Generated transactions accepted through this node's RPC per second, over the last interval. */
  readonly txPerSecond?: number;
  readonly sync?: { readonly state: SyncState; readonly targetHeight: number; readonly progress: number };
  /** Set when the process exited. */
  readonly exitCode?: number | null;
  readonly error?: string;
}

export interface DevnetFrame {
  /** Seconds since the devnet started (start-up included). */
  readonly elapsedS: number;
  /** `--duration`: the run stops this long after every node was up. */
  readonly durationS?: number;
  /** Seconds since every node was up (0 before). */
  readonly upS?: number;
  readonly nodes: readonly NodeView[];
  /** Transactions accepted per second over the last interval. */
  readonly txPerSecond: number;
  readonly txSent: number;
  readonly txRejected: number;
  readonly note?: string;
}

const BAR = 20;

/** `[########............]  40%` */
export function progressBar(progress: number, width = BAR): string {
  const p = Math.min(1, Math.max(0, Number.isFinite(progress) ? progress : 0));
  const full = Math.round(p * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${String(Math.floor(p * 100)).padStart(3)}%`;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s.slice(0, n) : s + ' '.repeat(n - s.length);
}

function tipsAgree(nodes: readonly NodeView[]): boolean | undefined {
  const tips = nodes.filter((n) => n.up && n.tip).map((n) => n.tip);
  if (tips.length < 2) return undefined;
  return tips.every((t) => t === tips[0]);
}

/** The live table, one string per line (no ANSI codes; the caller redraws). */
export function renderFrame(frame: DevnetFrame): string[] {
  const agree = tipsAgree(frame.nodes);
  const lines = [
    `tc devnet  ${frame.elapsedS.toFixed(0)}s` +
      `${frame.durationS ? ` (run ${Math.min(frame.upS ?? 0, frame.durationS).toFixed(0)}/${frame.durationS}s)` : ''}  ` +
      `tx/s ${frame.txPerSecond.toFixed(1)}  sent ${frame.txSent}  rejected ${frame.txRejected}  ` +
      `tips ${agree === undefined ? '-' : agree ? 'agree' : 'DIFFER'}`,
    `${pad('node', 5)} ${pad('rpc', 16)} ${pad('height', 7)} ${pad('final', 7)} ${pad('tip', 14)} ${pad('peers', 5)} ${pad('mempool', 7)} ${pad('tx/s', 5)} ${pad('rtt ms', 7)} state`,
  ];
  for (const n of frame.nodes) {
    if (!n.up) {
      const why = n.exitCode !== undefined ? `exited (${n.exitCode})` : (n.error ?? 'starting');
      lines.push(`${pad(String(n.index), 5)} ${pad(n.rpc, 16)} ${why}`);
      continue;
    }
    const syncing = n.sync && n.sync.state === 'syncing';
    lines.push(
      `${pad(String(n.index), 5)} ${pad(n.rpc, 16)} ${pad(String(n.height ?? '-'), 7)} ${pad(String(n.finalized ?? '-'), 7)} ` +
        `${pad(n.tip ? `${n.tip.slice(0, 12)}..` : '-', 14)} ${pad(String(n.peers ?? '-'), 5)} ` +
        `${pad(String(n.mempool ?? '-'), 7)} ${pad(n.txPerSecond === undefined ? '-' : n.txPerSecond.toFixed(1), 5)} ` +
        `${pad(n.rttMs == null ? '-' : n.rttMs.toFixed(1), 7)} ` +
        (syncing && n.sync
          ? `syncing ${progressBar(n.sync.progress)} ${n.height}/${n.sync.targetHeight}`
          : (n.sync?.state ?? '-')),
    );
  }
  if (frame.note) lines.push(frame.note);
  return lines;
}

/** One line per interval for logs and pipes (stdout not a TTY). */
export function renderLine(frame: DevnetFrame): string {
  const agree = tipsAgree(frame.nodes);
  const col = (f: (n: NodeView) => unknown) =>
    frame.nodes.map((n) => (n.up ? String(f(n) ?? '-') : 'down')).join(',');
  return (
    `t=${frame.elapsedS.toFixed(0)}s height=[${col((n) => n.height)}] final=[${col((n) => n.finalized)}] peers=[${col((n) => n.peers)}] ` +
    `mempool=[${col((n) => n.mempool)}] rtt_ms=[${col((n) => (n.rttMs == null ? '-' : n.rttMs.toFixed(1)))}] ` +
    `tx/s=${frame.txPerSecond.toFixed(1)} tips=${agree === undefined ? '-' : agree ? 'agree' : 'differ'}`
  );
}

/**
 * Redraws a block of lines in place on a terminal. Each line is cut to the terminal's width, so
 * one line is one screen row and the cursor arithmetic holds on narrow terminals (a wrapped
 * line took two rows and garbled every later frame). Messages go through `message`, which
 * clears the block first: a line written between redraws shifted the block down and left a
 * stale header above it.
 */
export class TerminalView {
  private drawn = 0;
  constructor(
    private readonly write: (s: string) => void,
    private readonly columns: () => number | undefined = () => undefined,
  ) {}

  draw(lines: readonly string[]): void {
    const width = this.columns();
    // The last column stays empty: a full row makes some terminals wrap before the newline.
    const cut = (l: string) =>
      width !== undefined && width > 1 && l.length > width - 1 ? l.slice(0, width - 1) : l;
    let s = this.drawn > 0 ? `\x1b[${this.drawn}F` : '\x1b[?25l'; // hide the cursor while redrawing
    for (const l of lines) s += `\x1b[2K${cut(l)}\n`;
    // Clear lines left over from a longer previous frame.
    for (let i = lines.length; i < this.drawn; i++) s += '\x1b[2K\n';
    if (this.drawn > lines.length) s += `\x1b[${this.drawn - lines.length}F`;
    this.write(s);
    this.drawn = lines.length;
  }

  /** Prints `line` where the block was (through `print`, e.g. stderr); the next frame goes below it. */
  message(line: string, print: (line: string) => void): void {
    if (this.drawn > 0) this.write(`\x1b[${this.drawn}F\x1b[J`);
    this.drawn = 0;
    print(line);
  }

  /** Shows the cursor again; the last frame stays on screen. */
  close(): void {
    if (this.drawn > 0) this.write('\x1b[?25h');
    this.drawn = 0;
  }
}
