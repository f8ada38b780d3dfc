import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** prom-client metrics of the chain manager, fork watcher, gossip and producer (docs/METRICS.md). */
export interface NodeMetrics {
  blocksConnected: Counter<'source'>;
  announced: Counter<'outcome'>;
  reorgs: Counter;
  reorgDepth: Histogram;
  forkChecks: Counter<'action'>;
  sideBranches: Counter<'action'>;
  produced: Counter;
  gossipTxs: Counter<'result'>;
  arrivalDelay: Histogram;
}

/** Registers the node metrics; a second node on the same registry reuses them (gauges follow the first). */
export function registerNodeMetrics(
  registry: Registry,
  sources: { height: () => number; chainJobs: () => number },
): NodeMetrics {
  const registers = [registry];
  const once = <T>(name: string, create: () => T): T =>
    (registry.getSingleMetric(name) as T | undefined) ?? create();
  once(
    'tc_consensus_chain_height',
    () =>
      new Gauge({
        name: 'tc_consensus_chain_height',
        help: 'Height of the canonical tip',
        registers,
        collect() {
          this.set(sources.height());
        },
      }),
  );
  once(
    'tc_consensus_chain_jobs',
    () =>
      new Gauge({
        name: 'tc_consensus_chain_jobs',
        help: 'Chain jobs (imports, announced blocks, reorgs) waiting or running',
        registers,
        collect() {
          this.set(sources.chainJobs());
        },
      }),
  );
  const metrics: NodeMetrics = {
    blocksConnected: once(
      'tc_consensus_blocks_connected_total',
      () =>
        new Counter({
          name: 'tc_consensus_blocks_connected_total',
          help: 'Blocks that joined the canonical chain, by source (local, peer, sync, reorg)',
          labelNames: ['source'],
          registers,
        }),
    ),
    announced: once(
      'tc_consensus_announced_blocks_total',
      () =>
        new Counter({
          name: 'tc_consensus_announced_blocks_total',
          help: 'Announced blocks by outcome (connected, duplicate, fork, unknown-parent, invalid, dropped)',
          labelNames: ['outcome'],
          registers,
        }),
    ),
    reorgs: once(
      'tc_consensus_reorgs_total',
      () => new Counter({ name: 'tc_consensus_reorgs_total', help: 'Branch switches', registers }),
    ),
    reorgDepth: once(
      'tc_consensus_reorg_depth',
      () =>
        new Histogram({
          name: 'tc_consensus_reorg_depth',
          help: 'Blocks rolled back per reorg',
          buckets: [1, 2, 3, 5, 10, 20, 50, 100],
          registers,
        }),
    ),
    forkChecks: once(
      'tc_consensus_fork_checks_total',
      () =>
        new Counter({
          name: 'tc_consensus_fork_checks_total',
          help: 'Fork/tip checks by result (none, extended, reorg, waiting-support)',
          labelNames: ['action'],
          registers,
        }),
    ),
    sideBranches: once(
      'tc_consensus_side_branch_total',
      () =>
        new Counter({
          name: 'tc_consensus_side_branch_total',
          help: 'Announced blocks that did not extend our tip, by what became of them (switched, worse, busy, unresolved, invalid)',
          labelNames: ['action'],
          registers,
        }),
    ),
    produced: once(
      'tc_consensus_blocks_produced_total',
      () =>
        new Counter({ name: 'tc_consensus_blocks_produced_total', help: 'Blocks we produced', registers }),
    ),
    gossipTxs: once(
      'tc_consensus_gossip_txs_total',
      () =>
        new Counter({
          name: 'tc_consensus_gossip_txs_total',
          help: 'Gossiped transactions by result (admitted, rejected, seen, dropped)',
          labelNames: ['result'],
          registers,
        }),
    ),
    arrivalDelay: once(
      'tc_consensus_block_arrival_delay_seconds',
      () =>
        new Histogram({
          name: 'tc_consensus_block_arrival_delay_seconds',
          help: "From a block's timestamp to its connecting here (produced, gossiped or reorged in; not sync)",
          buckets: [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10],
          registers,
        }),
    ),
  };
  return metrics;
}
