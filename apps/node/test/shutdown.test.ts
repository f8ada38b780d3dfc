import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT_FORCED, ShutdownCoordinator } from '../src/internal.js';

const fixture = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'shutdown-child.mjs');

interface ChildResult {
  code: number | null;
  lines: string[];
  stderr: string;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

/** Starts the fixture, waits for `ready`, sends the signals, and resolves on exit (bounded by the test timeout). */
function runChild(spec: unknown, signals: NodeJS.Signals[], gapMs = 0): Promise<ChildResult> {
  const child = spawn(process.execPath, [fixture, JSON.stringify(spec)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.stdout?.on('data', (c: Buffer) => {
      const before = out;
      out += c.toString();
      if (!before.includes('ready\n') && out.includes('ready\n')) {
        signals.forEach((s, i) => {
          setTimeout(() => child.kill(s), i * gapMs);
        });
      }
    });
    child.on('exit', (code) => {
      setImmediate(() => resolve({ code, lines: out.split('\n').filter(Boolean), stderr }));
    });
  });
}

function result(r: ChildResult): { exit: number; steps: string[] } {
  const last = r.lines[r.lines.length - 1];
  if (!last) throw new Error(`no output; stderr: ${r.stderr}`);
  return JSON.parse(last);
}

describe('ShutdownCoordinator in a real process', () => {
  it('SIGTERM runs the steps in phase order and exits 0', async () => {
    const r = await runChild(
      {
        timeoutMs: 3000,
        steps: [
          { name: 'close-lmdb', phase: 'storage', run: 5 },
          { name: 'stop-rpc', phase: 'stop-accepting', run: 5 },
          { name: 'destroy-pool', phase: 'pool', run: 5 },
          { name: 'disconnect-peers', phase: 'disconnect', run: 5 },
        ],
      },
      ['SIGTERM'],
    );
    expect(r.code).toBe(0);
    expect(result(r)).toEqual({
      exit: 0,
      steps: ['stop-rpc', 'disconnect-peers', 'destroy-pool', 'close-lmdb'],
    });
  });

  it('a hanging step is abandoned at its bound, later steps still run, exit is 70', async () => {
    const r = await runChild(
      {
        timeoutMs: 1500,
        steps: [
          { name: 'stop-rpc', phase: 'stop-accepting', run: 1 },
          { name: 'drain-workers', phase: 'pool', run: 'hang', timeoutMs: 300 },
          { name: 'close-lmdb', phase: 'storage', run: 1 },
        ],
      },
      ['SIGINT'],
    );
    expect(r.code).toBe(EXIT_FORCED);
    expect(result(r)).toEqual({ exit: EXIT_FORCED, steps: ['stop-rpc', 'close-lmdb'] });
    expect(r.stderr).toContain('shutdown step timed out; abandoned');
    expect(r.stderr).toContain('"step":"drain-workers"');
  });

  it('the overall deadline bounds a step without its own timeout; later steps are skipped', async () => {
    const r = await runChild(
      {
        timeoutMs: 400,
        steps: [
          { name: 'hung-peer', phase: 'disconnect', run: 'hang' },
          { name: 'close-lmdb', phase: 'storage', run: 1 },
        ],
      },
      ['SIGTERM'],
    );
    expect(r.code).toBe(EXIT_FORCED);
    expect(result(r).steps).toEqual([]);
    expect(r.stderr).toContain('shutdown step skipped: deadline passed');
  });

  it('a second signal forces exit at once', async () => {
    const r = await runChild(
      { timeoutMs: 20_000, steps: [{ name: 'hung', phase: 'drain', run: 'hang' }] },
      ['SIGTERM', 'SIGTERM'],
      200,
    );
    expect(r.code).toBe(EXIT_FORCED);
    expect(r.stderr).toContain('second signal during shutdown: forcing exit');
  });
});

describe('ShutdownCoordinator in process', () => {
  it('a failing step makes the stop forced; shutdown() is idempotent; no registration after start', async () => {
    const exits: number[] = [];
    const c = new ShutdownCoordinator({ timeoutMs: 1000, exit: (code) => exits.push(code) });
    const ran: string[] = [];
    c.register({
      name: 'a',
      run: () => {
        ran.push('a');
        throw new Error('nope');
      },
    });
    const remove = c.register({
      name: 'removed',
      run: () => {
        ran.push('removed');
      },
    });
    c.register({
      name: 'b',
      phase: 'stop-accepting',
      run: async () => {
        ran.push('b');
      },
    });
    remove();
    expect(c.signal.aborted).toBe(false);
    const p1 = c.shutdown('test');
    const p2 = c.shutdown('again');
    expect(p1).toBe(p2);
    expect(c.signal.aborted).toBe(true);
    expect(() => c.register({ name: 'late', run: () => {} })).toThrow(/already started/);
    const res = await p1;
    expect(ran).toEqual(['b', 'a']);
    expect(res).toMatchObject({ reason: 'test', clean: false, exitCode: EXIT_FORCED });
    expect(res.steps.map((s) => [s.name, s.outcome])).toEqual([
      ['b', 'ok'],
      ['a', 'error'],
    ]);
    expect(exits).toEqual([EXIT_FORCED]);
    expect(c.state).toBe('stopped');
  });

  it('a clean stop keeps the exit code it was given', async () => {
    const c = new ShutdownCoordinator({ exit: null });
    c.register({ name: 'ok', run: () => {} });
    expect((await c.shutdown('fatal', { exitCode: 1 })).exitCode).toBe(1);
  });
});
