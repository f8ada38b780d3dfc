import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** dist/cli.js of the built @tc/node (the `tc-node` executable). */
export function tcNodeCli(): string {
  const req = createRequire(import.meta.url);
  return join(dirname(req.resolve('@tc/node')), 'cli.js');
}

/** How one process of a node ended, and whether the harness meant it to. */
export interface ExitRecord {
  readonly node: number;
  readonly pid: number;
  readonly code: number | null;
  readonly signal: string | null;
  /** 'kill' (our SIGKILL), 'stop' (our SIGTERM) or undefined: the process ended by itself. */
  readonly expected: 'kill' | 'stop' | undefined;
  readonly atMs: number;
}

/** The environment for a child: ours without TC_* variables (they would override the config). */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('TC_')) env[k] = v;
  return env;
}

/**
 * One node's `tc-node start` processes over the run: spawned in their own process group, logging
 * to `<datadir>/node.log`, stdin a pipe (`--stop-with-parent`: a child stops if the harness dies).
 * Every exit is recorded with what the harness had asked for.
 */
export class NodeProcess {
  readonly exits: ExitRecord[] = [];
  private child: ChildProcess | undefined;
  private intent: 'kill' | 'stop' | undefined;
  private exited: Promise<void> = Promise.resolve();
  starts = 0;

  constructor(
    readonly index: number,
    readonly datadir: string,
    readonly configFile: string,
    private readonly cli: string,
    private readonly t0: number,
  ) {}

  get running(): boolean {
    return this.child !== undefined;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  spawn(): void {
    if (this.child) throw new Error(`node ${this.index} is already running`);
    const logFd = openSync(join(this.datadir, 'node.log'), 'a');
    let child: ChildProcess;
    try {
      child = spawn(
        process.execPath,
        [this.cli, 'start', '--config', this.configFile, '--stop-with-parent'],
        {
          stdio: ['pipe', logFd, logFd],
          env: childEnv(),
          detached: true,
        },
      );
    } finally {
      closeSync(logFd);
    }
    this.child = child;
    this.intent = undefined;
    this.starts++;
    const pid = child.pid ?? -1;
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        this.exits.push({
          node: this.index,
          pid,
          code,
          signal,
          expected: this.intent,
          atMs: Date.now() - this.t0,
        });
        if (this.child === child) this.child = undefined;
        resolve();
      });
    });
    child.once('error', () => undefined);
    child.stdin?.on('error', () => undefined);
  }

  /** SIGKILL (kill -9); resolves when the process is gone. */
  async kill9(): Promise<void> {
    const c = this.child;
    if (!c) return;
    this.intent = 'kill';
    c.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM, SIGKILL after `timeoutMs`; resolves when the process is gone. */
  async stop(timeoutMs: number): Promise<void> {
    const c = this.child;
    if (!c) return;
    this.intent = 'stop';
    const timer = setTimeout(() => c.kill('SIGKILL'), timeoutMs);
    c.kill('SIGTERM');
    await this.exited;
    clearTimeout(timer);
  }

  /** Last resort (afterAll, errors): SIGKILL without waiting. */
  forceKill(): void {
    if (this.child && this.intent === undefined) this.intent = 'kill';
    this.child?.kill('SIGKILL');
  }
}
