import { kindLabel, type RegistryMetrics } from './metrics.js';
import type { Session } from './session.js';

type CounterChild = { inc(n?: number): void };
type HistogramChild = { observe(v: number): void };

/**
 * The registry's hot-path use of its metrics: label children are cached (no label hashing
 * per message or request), and gauges that are sums over sessions are sampled once a second
 * instead of being updated on every write. All maps are bounded by kinds × outcomes.
 */
export class MetricsRecorder {
  private readonly messages = new Map<string, CounterChild>();
  private readonly requests = new Map<string, CounterChild>();
  private readonly durations = new Map<string, HistogramChild>();
  private sampler: NodeJS.Timeout | undefined;

  constructor(readonly metrics: RegistryMetrics) {}

  message(direction: 'in' | 'out', kind: string, n = 1): void {
    const key = `${direction}:${kind}`;
    let child = this.messages.get(key);
    if (!child) {
      child = this.metrics.messages.labels({ direction, kind: kindLabel(kind) });
      this.messages.set(key, child);
    }
    child.inc(n);
  }

  request(kind: string, outcome: string, startMs: number): void {
    const key = `${kind}|${outcome}`;
    let counter = this.requests.get(key);
    if (!counter) {
      counter = this.metrics.requests.labels({ kind: kindLabel(kind), outcome });
      this.requests.set(key, counter);
    }
    counter.inc();
    if (outcome !== 'ok') return;
    let histogram = this.durations.get(kind);
    if (!histogram) {
      histogram = this.metrics.requestSeconds.labels({ kind: kindLabel(kind) });
      this.durations.set(kind, histogram);
    }
    histogram.observe((Date.now() - startMs) / 1000);
  }

  /** Starts sampling the sum gauges (queued bytes, requests in flight) every second. */
  start(sessions: () => Iterable<Session>): void {
    if (this.sampler) return;
    this.sampler = setInterval(() => this.sample(sessions()), 1_000);
    this.sampler.unref();
  }

  stop(): void {
    if (this.sampler) clearInterval(this.sampler);
    this.sampler = undefined;
  }

  sample(sessions: Iterable<Session>): void {
    let queued = 0;
    let outbound = 0;
    let inbound = 0;
    for (const s of sessions) {
      queued += s.connection.queuedBytes;
      outbound += s.requestsInFlight;
      inbound += s.inboundInflight;
    }
    this.metrics.queuedBytes.set(queued);
    this.metrics.inflightRequests.set({ direction: 'outbound' }, outbound);
    this.metrics.inflightRequests.set({ direction: 'inbound' }, inbound);
  }
}
