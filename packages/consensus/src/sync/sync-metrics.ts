import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** tc_consensus_sync_* metrics (docs/METRICS.md). */
export interface SyncMetrics {
  blocksImported: Counter<string>;
  batches: Counter<'outcome'>;
  stalls: Counter<string>;
  peerReports: Counter<'code'>;
  height: Gauge<string>;
  targetHeight: Gauge<string>;
  downloadSeconds: Histogram<string>;
  importSeconds: Histogram<string>;
}

/** Batch outcomes counted in tc_consensus_sync_batches_total{outcome}. */
export type BatchOutcome =
  | 'imported'
  | 'empty'
  | 'short'
  | 'bad'
  | 'timeout'
  | 'stalled'
  | 'rate_limited'
  | 'remote_error'
  | 'disconnected'
  | 'invalid_block';

/** Registers the sync metrics, or reuses them when this registry already has them. */
export function registerSyncMetrics(registry: Registry): SyncMetrics {
  const get = <T>(name: string, make: () => T): T =>
    (registry.getSingleMetric(name) as T | undefined) ?? make();
  const registers = [registry];
  return {
    blocksImported: get(
      'tc_consensus_sync_blocks_imported_total',
      () =>
        new Counter({
          name: 'tc_consensus_sync_blocks_imported_total',
          help: 'Blocks imported by range sync',
          registers,
        }),
    ),
    batches: get(
      'tc_consensus_sync_batches_total',
      () =>
        new Counter({
          name: 'tc_consensus_sync_batches_total',
          help: 'Batch attempts by outcome (imported, empty, short, bad, timeout, stalled, ...)',
          labelNames: ['outcome'],
          registers,
        }),
    ),
    stalls: get(
      'tc_consensus_sync_stalls_total',
      () =>
        new Counter({
          name: 'tc_consensus_sync_stalls_total',
          help: 'Times sync made no import progress for stallTimeoutMs',
          registers,
        }),
    ),
    peerReports: get(
      'tc_consensus_sync_peer_reports_total',
      () =>
        new Counter({
          name: 'tc_consensus_sync_peer_reports_total',
          help: 'Peers reported to the registry by sync, by error code',
          labelNames: ['code'],
          registers,
        }),
    ),
    height: get(
      'tc_consensus_sync_height',
      () => new Gauge({ name: 'tc_consensus_sync_height', help: 'Local tip height seen by sync', registers }),
    ),
    targetHeight: get(
      'tc_consensus_sync_target_height',
      () =>
        new Gauge({
          name: 'tc_consensus_sync_target_height',
          help: 'Height sync is heading for (highest height the peers announced)',
          registers,
        }),
    ),
    downloadSeconds: get(
      'tc_consensus_sync_download_seconds',
      () =>
        new Histogram({
          name: 'tc_consensus_sync_download_seconds',
          help: 'Time to download one batch (successful downloads)',
          buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
          registers,
        }),
    ),
    importSeconds: get(
      'tc_consensus_sync_import_seconds',
      () =>
        new Histogram({
          name: 'tc_consensus_sync_import_seconds',
          help: 'Time to import one batch (target.importBlocks)',
          buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
          registers,
        }),
    ),
  };
}
