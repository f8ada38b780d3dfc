import { Counter, Histogram, type Registry } from 'prom-client';

/**
 * Metrics of the harness itself (docs/METRICS.md), registered on the prom-client Registry the
 * caller passes in (never the global one). The honest probe's own PeerConnectionRegistry can
 * register its tc_registry_* metrics on the same Registry.
 */
export interface HostileMetrics {
  /** Histogram: answered honest-probe requests, send to response. */
  readonly honestSeconds: Histogram<string>;
  /** Counter {code}: honest-probe requests that failed, by RequestError code. */
  readonly honestFailures: Counter<'code'>;
  /** Counter {case, result}: finished cases (result: pass | fail | skipped | error). */
  readonly cases: Counter<'case' | 'result'>;
}

export function createHostileMetrics(register: Registry): HostileMetrics {
  const registers = [register];
  return {
    honestSeconds: new Histogram({
      name: 'tc_hostile_honest_request_seconds',
      help: 'Honest probe request latency (send to response)',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    honestFailures: new Counter({
      name: 'tc_hostile_honest_failures_total',
      help: 'Honest probe requests that failed, by error code',
      labelNames: ['code'],
      registers,
    }),
    cases: new Counter({
      name: 'tc_hostile_cases_total',
      help: 'Finished hostile cases by result',
      labelNames: ['case', 'result'],
      registers,
    }),
  };
}
