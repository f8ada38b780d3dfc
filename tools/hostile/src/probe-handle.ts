import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { NodeIdentity } from '@tc/registry';
import { ProbeError, type ProbeErrorCode } from './errors.js';
import {
  HonestProbe,
  type HonestProbeOptions,
  type LatencyStats,
  type ReconnectResult,
} from './honest-probe.js';

/**
 * The honest probe as the suite drives it. By default it runs in a worker thread: its
 * requests are timed on an event loop of their own, so the attacker's work in this process
 * (encoding a flood, opening a storm's sockets) is not mistaken for the node's latency.
 * The two still share the machine's cores.
 */
export interface ProbeHandle {
  readonly nodeId: string;
  readonly publicKey: Uint8Array;
  /** Node id of the target, from the probe's handshake. */
  readonly targetId: string;
  /** Whether the probe runs in a worker thread. */
  readonly inWorker: boolean;
  begin(): Promise<void>;
  /** Closes the window: its statistics and raw answer times (ms). */
  end(): Promise<{ stats: LatencyStats; samples: number[] }>;
  /** Answers + failures in the current window. */
  windowCount(): Promise<number>;
  /** Generation of the probe's live session to the target, if any. */
  sessionGeneration(): Promise<number | undefined>;
  reconnect(opts: { retryMs: number; firstTimeoutMs: number }): Promise<ReconnectResult>;
  stop(): Promise<void>;
}

export type ProbeStartOptions = Omit<HonestProbeOptions, 'identity'> & { identity: NodeIdentity };

/** What the worker is started with (structured-clone safe). */
export interface ProbeWorkerData {
  readonly options: Omit<HonestProbeOptions, 'identity'>;
  readonly privateKey: Uint8Array;
}

/**
 * Starts the honest probe in a worker thread when `worker` is true and the worker script is
 * found (dist/probe-worker.js, built by tsup), else in this process.
 */
export async function startProbe(o: ProbeStartOptions, worker: boolean): Promise<ProbeHandle> {
  const script = worker ? workerScript() : undefined;
  if (script === undefined) return inProcess(await HonestProbe.start(o));
  const { identity, ...options } = o;
  const data: ProbeWorkerData = { options, privateKey: identity.exportPrivateKey() };
  return WorkerProbe.start(script, data, identity);
}

function workerScript(): string | undefined {
  for (const rel of ['./probe-worker.js', '../dist/probe-worker.js']) {
    const path = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(path)) return path;
  }
  return undefined;
}

function inProcess(p: HonestProbe): ProbeHandle {
  return {
    nodeId: p.identity.nodeId,
    publicKey: p.identity.publicKey,
    get targetId() {
      return p.targetId;
    },
    inWorker: false,
    begin: async () => p.begin(),
    end: async () => {
      const stats = p.end();
      return { stats, samples: p.lastSamples };
    },
    windowCount: async () => p.windowCount,
    sessionGeneration: async () => p.session()?.generation,
    reconnect: (opts) => p.reconnect(opts),
    stop: () => p.stop(),
  };
}

/** Messages between the suite and the worker. */
export type ProbeRequest =
  | { id: number; op: 'begin' | 'end' | 'windowCount' | 'sessionGeneration' | 'stop' }
  | { id: number; op: 'reconnect'; opts: { retryMs: number; firstTimeoutMs: number } };
export type ProbeReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: string }
  | { id: 0; ready: true; targetId: string }
  | { id: 0; ready: false; error: string; code: ProbeErrorCode };

class WorkerProbe implements ProbeHandle {
  readonly inWorker = true;
  readonly nodeId: string;
  readonly publicKey: Uint8Array;
  targetId = '';
  private next = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private exited: Error | undefined;

  private constructor(
    private readonly worker: Worker,
    identity: NodeIdentity,
  ) {
    this.nodeId = identity.nodeId;
    this.publicKey = identity.publicKey;
  }

  static start(script: string, data: ProbeWorkerData, identity: NodeIdentity): Promise<WorkerProbe> {
    const worker = new Worker(script, { workerData: data });
    const probe = new WorkerProbe(worker, identity);
    return new Promise((resolve, reject) => {
      worker.on('message', (m: ProbeReply) => {
        if ('ready' in m) {
          if (m.ready) {
            probe.targetId = m.targetId;
            resolve(probe);
          } else {
            void worker.terminate();
            reject(new ProbeError(m.code, m.error));
          }
          return;
        }
        const w = probe.waiting.get(m.id);
        if (!w) return;
        probe.waiting.delete(m.id);
        if (m.ok) w.resolve(m.value);
        else w.reject(new Error(m.error));
      });
      worker.on('error', (e) => {
        probe.fail(e);
        reject(e);
      });
      worker.on('exit', (code) => {
        const e = new ProbeError('TARGET_UNREACHABLE', `honest probe worker exited (${code})`);
        probe.fail(e);
        reject(e);
      });
    });
  }

  begin(): Promise<void> {
    return this.call({ op: 'begin' }) as Promise<void>;
  }

  end(): Promise<{ stats: LatencyStats; samples: number[] }> {
    return this.call({ op: 'end' }) as Promise<{ stats: LatencyStats; samples: number[] }>;
  }

  windowCount(): Promise<number> {
    return this.call({ op: 'windowCount' }) as Promise<number>;
  }

  sessionGeneration(): Promise<number | undefined> {
    return this.call({ op: 'sessionGeneration' }) as Promise<number | undefined>;
  }

  async reconnect(opts: { retryMs: number; firstTimeoutMs: number }): Promise<ReconnectResult> {
    const r = (await this.call({ op: 'reconnect', opts })) as ReconnectResult & { targetId?: string };
    return r;
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    await this.call({ op: 'stop' }).catch(() => undefined);
    await this.worker.terminate();
  }

  private call(req: { op: ProbeRequest['op']; opts?: unknown }): Promise<unknown> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ ...req, id });
    });
  }

  private fail(e: Error): void {
    this.exited ??= e;
    for (const w of this.waiting.values()) w.reject(e);
    this.waiting.clear();
  }
}
