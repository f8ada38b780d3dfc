import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** prom-client metrics of finality (docs/METRICS.md). */
export interface FinalityMetrics {
  /** Peers' votes by result: valid, invalid, malformed, duplicate, stale, equivocation, dropped. */
  votes: Counter<'result'>;
  /** Our own votes: signed, or abstained (the guard forbade one). */
  votesSigned: Counter<'result'>;
  /** Certificates carried by range sync, by result (valid, invalid). */
  certificates: Counter<'result'>;
  /** Verified equivocations stored, by kind (vote, block). */
  equivocations: Counter<'kind'>;
  /** Records a block becoming final `lagBlocks` below the tip. */
  finalized(height: number, lagBlocks: number): void;
}

/** Registers the finality metrics; a second node on the same registry reuses them. */
export function registerFinalityMetrics(
  registry: Registry,
  sources: { tipHeight: () => number },
): FinalityMetrics {
  const registers = [registry];
  const once = <T>(name: string, create: () => T): T =>
    (registry.getSingleMetric(name) as T | undefined) ?? create();
  let finalizedHeight = 0;
  once(
    'tc_consensus_finalized_height',
    () =>
      new Gauge({
        name: 'tc_consensus_finalized_height',
        help: 'Height of the finalized block',
        registers,
        collect() {
          this.set(finalizedHeight);
        },
      }),
  );
  once(
    'tc_consensus_finality_lag_blocks',
    () =>
      new Gauge({
        name: 'tc_consensus_finality_lag_blocks',
        help: 'Blocks between the tip and the finalized block',
        registers,
        collect() {
          this.set(Math.max(0, sources.tipHeight() - finalizedHeight));
        },
      }),
  );
  const lagSlots = once(
    'tc_consensus_finality_lag_slots',
    () =>
      new Histogram({
        name: 'tc_consensus_finality_lag_slots',
        help: 'Blocks (slots) between the tip and a block when it became final',
        buckets: [0, 1, 2, 3, 4, 6, 8, 16, 32, 64],
        registers,
      }),
  );
  const counter = (name: string, help: string, label: string) =>
    once(name, () => new Counter({ name, help, labelNames: [label], registers }));
  return {
    votes: counter('tc_consensus_votes_received_total', "Peers' finality votes, by result", 'result'),
    votesSigned: counter(
      'tc_consensus_votes_signed_total',
      'Finality votes this validator signed or withheld',
      'result',
    ),
    certificates: counter(
      'tc_consensus_certificates_received_total',
      'Finality certificates carried by range sync, by result',
      'result',
    ),
    equivocations: counter(
      'tc_consensus_equivocations_total',
      'Verified equivocation evidence stored, by kind',
      'kind',
    ),
    finalized(height, lagBlocks) {
      finalizedHeight = Math.max(finalizedHeight, height);
      lagSlots.observe(lagBlocks);
    },
  } as FinalityMetrics;
}
