import { type IntervalHistogram, monitorEventLoopDelay, performance } from 'node:perf_hooks';
import {
  formatAddress,
  NodeIdentity,
  PeerConnectionRegistry,
  type PeerInfo,
  RequestError,
  silentLogger,
} from '@tc/registry';
import { u64 } from '@tc/wire';
import { ProbeError } from './errors.js';
import { percentile } from './latency.js';
import { sleep, type Target } from './observe.js';

const LAG_RESOLUTION_MS = 10;
/** Answer times kept per window; later answers are not sampled (a window at 2 ms lasts > 3 min first). */
const MAX_SAMPLES = 100_000;

/** Request kinds the probe can time (every tc node answers these three). */
export type ProbeKind = 'getChainTip' | 'ping' | 'getPeers';

export interface HonestProbeOptions {
  target: Target;
  networkId: string;
  genesisHash: Uint8Array;
  protocolVersion: number;
  kind: ProbeKind;
  /** Pause between the end of one request and the start of the next. */
  intervalMs: number;
  /** A request slower than this counts as a failure. */
  timeoutMs: number;
  identity?: NodeIdentity;
}

/** The honest peer's reconnection during an attack. */
export type ReconnectResult =
  | {
      readonly ok: true;
      /** Disconnect to a live session on our side. */
      readonly dialMs: number;
      /** The first request on the new session. */
      readonly firstAnswerMs: number;
      /** Epoch ms of that answer. */
      readonly answeredAt: number;
    }
  | { readonly ok: false; readonly dialMs: number; readonly error: string };

/** Latency of the honest peer's requests over one window. */
export interface LatencyStats {
  /** Answered requests. */
  readonly samples: number;
  /** Requests that timed out, were refused or hit a lost session. */
  readonly failures: number;
  /** Failure count by error code (e.g. REQUEST_TIMEOUT, RATE_LIMITED, NOT_CONNECTED). */
  readonly failureCodes: Readonly<Record<string, number>>;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Times the probe's session to the target ended during the window. */
  readonly sessionsLost: number;
  /** p99 event-loop delay of this process during the window (our own load inflates latency too). */
  readonly selfLagP99Ms: number;
  readonly durationMs: number;
}

interface Window {
  readonly startedAt: number;
  readonly samples: number[];
  failures: number;
  readonly codes: Record<string, number>;
  lost: number;
}

/**
 * An honest peer: a real PeerConnectionRegistry with its own identity, connected to the
 * target, timing one request at a time in a loop (`kind`, then `intervalMs` pause). Samples
 * go to the current window; `begin()`/`end()` delimit the baseline and each attack.
 */
export class HonestProbe {
  readonly registry: PeerConnectionRegistry;
  readonly identity: NodeIdentity;
  targetId = '';
  private window: Window | undefined;
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly lag: IntervalHistogram = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  private lastDial = 0;
  private paused = false;
  private busy = false;
  private expectLoss = false;

  private constructor(private readonly o: HonestProbeOptions) {
    this.identity = o.identity ?? NodeIdentity.generate();
    this.registry = new PeerConnectionRegistry({
      identity: this.identity,
      networkId: o.networkId,
      genesisHash: o.genesisHash,
      protocolVersion: o.protocolVersion,
      agent: 'tc-hostile-honest/0.1.0',
      listen: false,
      discovery: false,
      logger: silentLogger,
      limits: { requestTimeoutMs: o.timeoutMs, closeTimeoutMs: 500 },
    });
    this.registry.on('peer:disconnect', (e) => {
      if (e.peerId === this.targetId && this.window && !this.expectLoss) this.window.lost++;
    });
  }

  /** Starts the registry, connects to the target (bounded by `timeoutMs`) and starts the request loop. */
  static async start(o: HonestProbeOptions): Promise<HonestProbe> {
    const probe = new HonestProbe(o);
    await probe.registry.start();
    try {
      const info = await probe.registry.dial(probe.address, {
        signal: AbortSignal.timeout(o.timeoutMs + 5_000),
      });
      probe.targetId = info.id;
    } catch (error) {
      await probe.registry.stop();
      throw new ProbeError(
        'TARGET_UNREACHABLE',
        `honest peer could not connect: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    probe.lag.enable();
    probe.running = true;
    probe.loop = probe.run();
    return probe;
  }

  get address(): string {
    return formatAddress(this.o.target.host, this.o.target.port);
  }

  /** The probe's live session to the target, if any. */
  session(): PeerInfo | undefined {
    return this.registry.peer(this.targetId);
  }

  /** Opens a new window (closing the current one unread). */
  begin(): void {
    this.lag.reset();
    this.window = { startedAt: performance.now(), samples: [], failures: 0, codes: {}, lost: 0 };
  }

  /** Answer times (ms) of the last window `end()` closed. */
  lastSamples: number[] = [];

  /** Closes the current window and returns its statistics. */
  end(): LatencyStats {
    const w = this.window ?? { startedAt: performance.now(), samples: [], failures: 0, codes: {}, lost: 0 };
    this.window = undefined;
    this.lastSamples = w.samples;
    const sorted = [...w.samples].sort((a, b) => a - b);
    return {
      samples: sorted.length,
      failures: w.failures,
      failureCodes: { ...w.codes },
      p50Ms: round(percentile(sorted, 50)),
      p99Ms: round(percentile(sorted, 99)),
      maxMs: round(sorted.at(-1) ?? 0),
      sessionsLost: w.lost,
      // The histogram's samples include its own resolution: subtract it to get the delay.
      selfLagP99Ms: round(
        this.lag.count > 0 ? Math.max(0, this.lag.percentile(99) / 1e6 - LAG_RESOLUTION_MS) : 0,
      ),
      durationMs: Math.round(performance.now() - w.startedAt),
    };
  }

  /** Samples (answered + failed) in the current window. */
  get windowCount(): number {
    return this.window ? this.window.samples.length + this.window.failures : 0;
  }

  /** Waits until the current window holds `n` results or `maxMs` passed. */
  async waitSamples(n: number, maxMs: number): Promise<void> {
    const deadline = Date.now() + maxMs;
    while (this.running && this.windowCount < n && Date.now() < deadline) await sleep(5);
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    this.lag.disable();
    await this.registry.stop();
  }

  /**
   * Drops the session and dials again, as an honest peer does after a network blip, then
   * times the first request on the new session (`firstTimeoutMs`) and records it in the
   * current window like any other answer. The loop pauses meanwhile; the deliberate drop
   * does not count as a lost session. Admission refusals of the redial are retried for
   * `retryMs`.
   */
  async reconnect(opts: { retryMs: number; firstTimeoutMs: number }): Promise<ReconnectResult> {
    this.paused = true;
    const idleBy = Date.now() + this.o.timeoutMs + 1_000;
    while (this.busy && Date.now() < idleBy) await sleep(2);
    this.expectLoss = true;
    const started = performance.now();
    try {
      this.registry.disconnect(this.targetId, 'reconnect');
      const deadline = Date.now() + opts.retryMs;
      let dialError = '';
      for (let attempt = 0; attempt < 100; attempt++) {
        try {
          const info = await this.registry.dial(this.address, {
            signal: AbortSignal.timeout(opts.firstTimeoutMs),
          });
          this.targetId = info.id;
          dialError = '';
          break;
        } catch (error) {
          dialError = (error as Error).message;
          if (Date.now() + 500 > deadline) break;
          await sleep(500);
        }
      }
      if (dialError) return this.failed('DIAL_FAILED', started, dialError);
      const dialMs = performance.now() - started;
      const first = performance.now();
      try {
        await this.registry.request(this.targetId, this.requestMessage() as never, {
          timeoutMs: opts.firstTimeoutMs,
        });
      } catch (error) {
        return this.failed(
          error instanceof RequestError ? error.code : 'ERROR',
          started,
          (error as Error).message,
        );
      }
      const firstAnswerMs = performance.now() - first;
      this.window?.samples.push(firstAnswerMs);
      return { ok: true, dialMs: round(dialMs), firstAnswerMs: round(firstAnswerMs), answeredAt: Date.now() };
    } finally {
      this.expectLoss = false;
      this.paused = false;
    }
  }

  private failed(code: string, started: number, error: string): ReconnectResult {
    if (this.window) {
      this.window.failures++;
      this.window.codes[code] = (this.window.codes[code] ?? 0) + 1;
    }
    return { ok: false, dialMs: round(performance.now() - started), error: `${code}: ${error}` };
  }

  private async run(): Promise<void> {
    while (this.running) {
      if (this.paused) {
        await sleep(5);
        continue;
      }
      this.busy = true;
      const started = performance.now();
      try {
        await this.registry.request(this.targetId, this.requestMessage() as never, {
          timeoutMs: this.o.timeoutMs,
        });
        const ms = performance.now() - started;
        if (this.window && this.window.samples.length < MAX_SAMPLES) this.window.samples.push(ms);
      } catch (error) {
        const code = error instanceof RequestError ? error.code : 'ERROR';
        if (this.window) {
          this.window.failures++;
          this.window.codes[code] = (this.window.codes[code] ?? 0) + 1;
        }
        if (code === 'NOT_CONNECTED' || code === 'PEER_DISCONNECTED') await this.redial();
      }
      this.busy = false;
      if (this.running) await sleep(this.o.intervalMs);
    }
  }

  /** Reconnects after the session was lost, at most once a second (the loop stays bounded). */
  private async redial(): Promise<void> {
    const wait = this.lastDial + 1_000 - Date.now();
    if (wait > 0) await sleep(wait);
    this.lastDial = Date.now();
    if (!this.running || this.session()) return;
    try {
      const info = await this.registry.dial(this.address, { signal: AbortSignal.timeout(this.o.timeoutMs) });
      this.targetId = info.id;
    } catch {
      // counted as failures by the next requests
    }
  }

  private requestMessage(): { kind: ProbeKind; body: unknown } {
    switch (this.o.kind) {
      case 'ping':
        return { kind: 'ping', body: { nonce: u64(1), sentAtMs: u64(Date.now()) } };
      case 'getPeers':
        return { kind: 'getPeers', body: { max: 1 } };
      default:
        return { kind: 'getChainTip', body: {} };
    }
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
