import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Counter, collectDefaultMetrics, Gauge, Histogram, type Registry } from 'prom-client';
import type { RpcObserver } from '../rpc/dispatch.js';

/**
 * The worker pool as the metrics see it. @tc/consensus owns the Piscina pool; the daemon binds
 * a function that reads these from it (piscina: threads.length, queueSize, options.maxQueue,
 * utilization, waitTime histogram).
 */
export interface PoolStats {
  readonly threads: number;
  readonly queueSize: number;
  readonly maxQueue: number;
  /** 0..1: the share of time the workers were busy. */
  readonly utilization: number;
  /** Time tasks waited in the queue, in ms (the pool keeps percentiles, not a mean). */
  readonly waitTimeMs: {
    readonly p50: number;
    readonly p99: number;
    readonly max: number;
  };
}

export interface NodeMetricSources {
  readonly pool?: () => PoolStats | undefined;
  readonly ready?: () => boolean;
}

export interface NodeMetrics {
  /** Feed it to the RpcDispatcher (`observe`). */
  readonly rpcObserver: RpcObserver;
  /** Counts one HTTP response by route (`rpc`, `metrics`, `health`, `other`) and status. */
  observeHttp(route: string, status: number): void;
  /** Counts one HTTP connection the server cut (deadline, room for another, refused). */
  observeHttpCut(reason: string): void;
  /** Sets the functions read at scrape time. */
  bindSources(sources: NodeMetricSources): void;
  /** Stops the event-loop delay monitor. */
  close(): void;
}

export interface NodeMetricsOptions {
  /** Adds prom-client's default process/Node.js metrics (prefixed `tc_node_`). Default true. */
  readonly defaultMetrics?: boolean;
  /** Labels of `tc_node_info`. */
  readonly info?: { readonly version: string; readonly network: string };
}

const RPC_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const POOL_WAIT_STATS = ['p50', 'p99', 'max'] as const;

/**
 * Registers the daemon's own metrics (`tc_node_*`) on `register`: event-loop lag and
 * utilisation, the worker pool, RPC calls and HTTP responses, readiness, and prom-client's
 * defaults. Lag percentiles and utilisation cover the time since the previous scrape.
 */
export function createNodeMetrics(register: Registry, options: NodeMetricsOptions = {}): NodeMetrics {
  const registers = [register];
  let sources: NodeMetricSources = {};
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register, prefix: 'tc_node_' });

  const info = new Gauge({
    name: 'tc_node_info',
    help: 'Constant 1, labelled with the version and network',
    labelNames: ['version', 'network'],
    registers,
  });
  if (options.info) info.set({ version: options.info.version, network: options.info.network }, 1);

  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  new Gauge({
    name: 'tc_node_event_loop_lag_seconds',
    help: 'Event-loop delay since the previous scrape (perf_hooks.monitorEventLoopDelay)',
    labelNames: ['stat'],
    registers,
    collect() {
      if (delay.count === 0) return;
      // The histogram reports ns and includes the 10 ms sampling resolution in every sample.
      const lag = (ns: number) => Math.max(0, ns / 1e9 - 0.01);
      this.set({ stat: 'mean' }, lag(delay.mean));
      this.set({ stat: 'p50' }, lag(delay.percentile(50)));
      this.set({ stat: 'p99' }, lag(delay.percentile(99)));
      this.set({ stat: 'max' }, lag(delay.max));
      delay.reset();
    },
  });

  let lastElu = performance.eventLoopUtilization();
  new Gauge({
    name: 'tc_node_event_loop_utilization_ratio',
    help: 'Share of time the event loop was busy since the previous scrape (0..1)',
    registers,
    collect() {
      const now = performance.eventLoopUtilization();
      this.set(performance.eventLoopUtilization(now, lastElu).utilization);
      lastElu = now;
    },
  });

  // One pool summary per scrape, not one per gauge: a summary reads piscina's histograms, and
  // six of them per scrape stalled the event loop for tens of milliseconds under load.
  let poolAt = Number.NEGATIVE_INFINITY;
  let poolLast: PoolStats | undefined;
  const pool = (): PoolStats | undefined => {
    const now = performance.now();
    if (now - poolAt > 250) {
      poolLast = sources.pool?.();
      poolAt = now;
    }
    return poolLast;
  };
  const poolGauge = (name: string, help: string, read: (p: PoolStats) => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        const p = pool();
        if (p) this.set(read(p));
      },
    });
  poolGauge('tc_node_pool_threads', 'Worker threads in the validation pool', (p) => p.threads);
  poolGauge('tc_node_pool_queue_size', 'Tasks waiting for a pool worker', (p) => p.queueSize);
  poolGauge('tc_node_pool_queue_capacity', 'Most tasks the pool queue holds', (p) => p.maxQueue);
  poolGauge(
    'tc_node_pool_utilization_ratio',
    'Share of time the pool workers were busy (0..1)',
    (p) => p.utilization,
  );
  new Gauge({
    name: 'tc_node_pool_wait_seconds',
    help: 'Time tasks waited in the pool queue',
    labelNames: ['stat'],
    registers,
    collect() {
      const p = pool();
      if (!p) return;
      for (const s of POOL_WAIT_STATS) {
        const v = p.waitTimeMs[s];
        if (v !== undefined && Number.isFinite(v)) this.set({ stat: s }, v / 1000);
      }
    },
  });

  new Gauge({
    name: 'tc_node_ready',
    help: '1 when the node is ready (started, not stopping), else 0',
    registers,
    collect() {
      if (sources.ready) this.set(sources.ready() ? 1 : 0);
    },
  });

  const rpcCalls = new Counter({
    name: 'tc_node_rpc_requests_total',
    help: 'JSON-RPC calls by method and result code (0 = success)',
    labelNames: ['method', 'code'],
    registers,
  });
  const rpcSeconds = new Histogram({
    name: 'tc_node_rpc_request_seconds',
    help: 'JSON-RPC call duration',
    labelNames: ['method'],
    buckets: RPC_BUCKETS,
    registers,
  });
  const http = new Counter({
    name: 'tc_node_http_responses_total',
    help: 'HTTP responses by route and status',
    labelNames: ['route', 'status'],
    registers,
  });

  const cuts = new Counter({
    name: 'tc_node_http_connections_cut_total',
    help: 'HTTP connections the server cut, by reason',
    labelNames: ['reason'],
    registers,
  });

  return {
    rpcObserver: (method, code, seconds) => {
      rpcCalls.inc({ method, code: String(code) });
      rpcSeconds.observe({ method }, seconds);
    },
    observeHttp: (route, status) => http.inc({ route, status: String(status) }),
    observeHttpCut: (reason) => cuts.inc({ reason }),
    bindSources: (s) => {
      sources = s;
    },
    close: () => delay.disable(),
  };
}
