import type { Piscina } from 'piscina';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** prom-client metrics of the validation pool and the mempool (see docs/METRICS.md). */

/**
 * Busy fraction of the workers since the pool started: mean run time × tasks completed /
 * (elapsed × threads). (piscina 5.3's own `utilization` divides the mean by 1000 twice.)
 */
export function utilizationOf(pool: Piscina): number {
  const elapsed = pool.duration * pool.maxThreads;
  if (elapsed <= 0 || pool.completed === 0) return 0;
  return Math.min(1, (pool.histogram.runTime.mean * pool.completed) / elapsed);
}

export interface PoolMetrics {
  tasks: Counter<'kind' | 'result'>;
  taskSeconds: Histogram<'kind'>;
  taskPhaseSeconds: Histogram<'kind' | 'phase'>;
  sigCache: Counter<'result'>;
}

export function registerPoolMetrics(registry: Registry, pool: () => Piscina): PoolMetrics {
  new Gauge({
    name: 'tc_consensus_pool_queue_tasks',
    help: 'Validation tasks waiting for a worker',
    registers: [registry],
    collect() {
      this.set(pool().queueSize);
    },
  });
  new Gauge({
    name: 'tc_consensus_pool_utilization_ratio',
    help: 'Fraction of validation worker capacity used (0..1)',
    registers: [registry],
    collect() {
      this.set(utilizationOf(pool()));
    },
  });
  new Gauge({
    name: 'tc_consensus_pool_wait_p99_seconds',
    help: 'p99 time a validation task waited for a worker',
    registers: [registry],
    collect() {
      this.set(pool().histogram.waitTime.p99 / 1000);
    },
  });
  return {
    tasks: new Counter({
      name: 'tc_consensus_pool_tasks_total',
      help: 'Validation tasks by kind (block, txs) and result (ok, invalid, error)',
      labelNames: ['kind', 'result'],
      registers: [registry],
    }),
    taskSeconds: new Histogram({
      name: 'tc_consensus_pool_task_seconds',
      help: 'Validation task time from submit to result (queue wait + transfer + run)',
      labelNames: ['kind'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    taskPhaseSeconds: new Histogram({
      name: 'tc_consensus_pool_task_phase_seconds',
      help: "Validation task time by phase, from the worker's own stamps: wait (for a worker, with the transfer there), run, return (the result back)",
      labelNames: ['kind', 'phase'],
      buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    sigCache: new Counter({
      name: 'tc_consensus_sig_cache_total',
      help: 'Block transactions whose signatures the signature cache vouched for (hit) or that were verified (miss)',
      labelNames: ['result'],
      registers: [registry],
    }),
  };
}

export interface MempoolMetrics {
  admitted: Counter<string>;
  rejected: Counter<'code'>;
  evicted: Counter<'reason'>;
}

export function registerMempoolMetrics(
  registry: Registry,
  mempool: { count: number; bytes: number },
): MempoolMetrics {
  new Gauge({
    name: 'tc_consensus_mempool_txs',
    help: 'Pending transactions',
    registers: [registry],
    collect() {
      this.set(mempool.count);
    },
  });
  new Gauge({
    name: 'tc_consensus_mempool_bytes',
    help: 'Pending transaction bytes (consensus sizes)',
    registers: [registry],
    collect() {
      this.set(mempool.bytes);
    },
  });
  return {
    admitted: new Counter({
      name: 'tc_consensus_mempool_admitted_total',
      help: 'Transactions admitted to the mempool',
      registers: [registry],
    }),
    rejected: new Counter({
      name: 'tc_consensus_mempool_rejected_total',
      help: 'Rejected transactions by error code',
      labelNames: ['code'],
      registers: [registry],
    }),
    evicted: new Counter({
      name: 'tc_consensus_mempool_evicted_total',
      help: 'Removed transactions by reason (confirmed, conflict, fee_rate, manual)',
      labelNames: ['reason'],
      registers: [registry],
    }),
  };
}
