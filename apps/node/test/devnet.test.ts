import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatSummary, packageCli, runDevnet } from '../src/devnet/supervisor.js';
import { type DevnetFrame, progressBar, renderFrame, renderLine, TerminalView } from '../src/devnet/view.js';
import { CLI, cleanEnv, killAll, startCli } from './helpers.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tc-devnet-'));
});
afterEach(() => {
  killAll();
  rmSync(dir, { recursive: true, force: true });
});

describe('view', () => {
  const frame: DevnetFrame = {
    elapsedS: 12,
    upS: 9,
    durationS: 20,
    txPerSecond: 2,
    txSent: 20,
    txRejected: 1,
    nodes: [
      {
        index: 0,
        rpc: '127.0.0.1:1',
        up: true,
        height: 10,
        finalized: 8,
        tip: 'ab'.repeat(32),
        peers: 3,
        mempool: 4,
        rttMs: 1.25,
        sync: { state: 'synced', targetHeight: 10, progress: 1 },
      },
      {
        index: 1,
        rpc: '127.0.0.1:2',
        up: true,
        height: 4,
        tip: 'cd'.repeat(32),
        peers: 3,
        mempool: 0,
        rttMs: null,
        sync: { state: 'syncing', targetHeight: 10, progress: 0.4 },
      },
      { index: 2, rpc: '127.0.0.1:3', up: false, exitCode: 70 },
    ],
  };

  it('renders a table with a sync bar for a node catching up', () => {
    const lines = renderFrame(frame);
    expect(lines[0]).toContain('12s (run 9/20s)');
    expect(lines[0]).toContain('tx/s 2.0');
    expect(lines[0]).toContain('tips DIFFER');
    expect(lines[1]).toContain('final');
    expect(lines[2]).toMatch(/ 10 +8 +abababababab\.\./);
    expect(lines[2]).toContain('abababababab..');
    expect(lines[2]).toContain('1.3');
    expect(lines[3]).toContain(`syncing ${progressBar(0.4)} 4/10`);
    expect(lines[4]).toContain('exited (70)');
    expect(progressBar(0.4)).toBe('[########............]  40%');
  });

  it('renders one line per interval without a TTY', () => {
    expect(renderLine(frame)).toBe(
      't=12s height=[10,4,down] final=[8,-,down] peers=[3,3,down] mempool=[4,0,down] rtt_ms=[1.3,-,down] tx/s=2.0 tips=differ',
    );
  });
});

describe('devnet supervisor', () => {
  it("runs the package's own tc-node by default, not the calling script", () => {
    // process.argv[1] here is vitest's entry: the old default would have run vitest as each node.
    expect(packageCli()).toBe(CLI);
    expect(packageCli()).not.toBe(process.argv[1]);
  });

  it('runs N children, polls them, stops them cleanly at the duration and summarises', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const summary = await runDevnet({
      nodes: 2,
      durationS: 3,
      pollMs: 300,
      txRate: 5,
      slotMs: 300,
      dir: join(dir, 'net'),
      cliPath: CLI,
      interactive: false,
      handleSignals: false,
      io: { out: (l) => out.push(l), err: (l) => err.push(l) },
    });
    expect(summary.reason).toBe('duration reached');
    expect(summary.nodes).toHaveLength(2);
    expect(summary.nodes.map((n) => n.exitCode)).toEqual([0, 0]);
    expect(summary.cleanExit).toBe(true);
    expect(summary.tipsAgree).toBe(true);
    expect(summary.blocks).toBeGreaterThan(0);
    expect(summary.transactions).toBeGreaterThan(0);
    expect(summary.nodes.every((n) => n.tip === summary.tipHash)).toBe(true);
    expect(out.some((l) => /^t=\d+s height=\[\d+,\d+\] final=\[\d+,\d+\] peers=\[1,1\]/.test(l))).toBe(true);
    expect(formatSummary(summary).join('\n')).toContain('tips agree:    yes');
    // Each node has its own datadir, config with the other node as peer, and a log.
    const cfg0 = JSON.parse(readFileSync(join(dir, 'net', 'node-0', 'config.json'), 'utf8'));
    const cfg1 = JSON.parse(readFileSync(join(dir, 'net', 'node-1', 'config.json'), 'utf8'));
    expect(cfg0.p2p.peers).toEqual([`127.0.0.1:${cfg1.p2p.port}`]);
    const genesis0 = readFileSync(join(dir, 'net', 'node-0', 'genesis.json'), 'utf8');
    expect(readFileSync(join(dir, 'net', 'node-1', 'genesis.json'), 'utf8')).toBe(genesis0);
    expect(JSON.parse(genesis0).validators).toHaveLength(2);
    expect(readFileSync(join(dir, 'net', 'node-0', 'node.log'), 'utf8')).toContain('shutdown complete');
  });

  it('Ctrl-C (SIGINT) on `tc-node devnet` stops every child and prints the summary', async () => {
    const cli = startCli(
      ['devnet', '--nodes', '2', '--tx-rate', '0', '--slot-ms', '300', '--dir', join(dir, 'net')],
      {
        cwd: dir,
        env: cleanEnv(dir),
      },
    );
    await cli.waitFor(/t=\d+s height=\[\d+,\d+\]/);
    cli.child.kill('SIGINT');
    const r = await cli.done;
    expect(r.stderr).toContain('devnet: stopping (SIGINT)');
    expect(r.stdout).toContain('tips agree:    yes');
    expect(r.stdout).toContain('clean exit:    yes');
    expect(r.stdout).toMatch(/node 0: height \d+ final \d+ tip \w+ exit 0/);
    expect(r.stdout).toMatch(/node 1: height \d+ final \d+ tip \w+ exit 0/);
    expect(r.code).toBe(0);
  });

  it('a child stops by itself when the supervisor is killed with SIGKILL', async () => {
    const net = join(dir, 'net');
    const cli = startCli(['devnet', '--nodes', '1', '--tx-rate', '0', '--dir', net], {
      cwd: dir,
      env: cleanEnv(dir),
    });
    await cli.waitFor(/t=\d+s height=\[\d+\]/);
    cli.child.kill('SIGKILL');
    await cli.done;
    const log = join(net, 'node-0', 'node.log');
    let text = '';
    for (let i = 0; i < 100 && !text.includes('"msg":"shutdown complete"'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      text = readFileSync(log, 'utf8');
    }
    expect(text).toContain('"reason":"parent exited"');
    expect(text).toContain('"msg":"shutdown complete"');
  });
});

describe('TerminalView', () => {
  it('redraws in place, clears leftover lines, and restores the cursor', () => {
    let out = '';
    const view = new TerminalView((s) => {
      out += s;
    });
    view.draw(['a', 'b', 'c']);
    expect(out).toBe('\x1b[?25l\x1b[2Ka\n\x1b[2Kb\n\x1b[2Kc\n');
    out = '';
    view.draw(['x', 'y']);
    expect(out).toBe('\x1b[3F\x1b[2Kx\n\x1b[2Ky\n\x1b[2K\n\x1b[1F');
    out = '';
    view.close();
    expect(out).toBe('\x1b[?25h');
  });

  it('cuts lines to the terminal width, and clears the block before a message so no stale line stays', () => {
    let out = '';
    const printed: string[] = [];
    const view = new TerminalView(
      (s) => {
        out += s;
      },
      () => 10,
    );
    view.draw(['0123456789abcdef', 'ok']);
    expect(out).toBe('\x1b[?25l\x1b[2K012345678\n\x1b[2Kok\n'); // 9 columns: one row each
    out = '';
    view.message('devnet: all up', (l) => printed.push(l));
    expect(out).toBe('\x1b[2F\x1b[J'); // back over the block, cleared to the end of the screen
    expect(printed).toEqual(['devnet: all up']);
    out = '';
    view.draw(['x']);
    expect(out).toBe('\x1b[?25l\x1b[2Kx\n'); // drawn afresh below the message, no cursor-up into it
  });
});
