import { isMessageKind } from '@tc/wire';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * Every @tc/registry metric, registered on the prom-client Registry the caller passes in
 * (never the global one). Names follow `tc_registry_<thing>[_total|_seconds|_bytes]`;
 * docs/METRICS.md lists each one and a test keeps the two in step.
 *
 * Label values must come from bounded sets: kinds through `kindLabel`, outcomes from the
 * constant lists below, reasons from error codes or admission denials (all finite).
 */

export const DIRECTIONS = ['inbound', 'outbound'] as const;
export const BYTE_DIRECTIONS = ['in', 'out'] as const;
/** Outcomes of `tc_registry_connection_events_total`. */
export const CONNECTION_OUTCOMES = [
  'opened',
  'established',
  'rejected',
  'handshake_failed',
  'closed',
] as const;
/** Outcomes of `tc_registry_requests_total` (one per finished outbound request). */
export const REQUEST_OUTCOMES = [
  'ok',
  'timeout',
  'remote_error',
  'disconnected',
  'rate_limited',
  'queue_full',
  'aborted',
] as const;
/** Outcomes of `tc_registry_dials_total`. */
export const DIAL_OUTCOMES = ['ok', 'timeout', 'refused', 'error', 'rejected', 'joined', 'aborted'] as const;
export const PEER_SCORE_STATS = ['min', 'mean', 'max', 'negative_count'] as const;

export type RequestOutcome = (typeof REQUEST_OUTCOMES)[number];
export type ConnectionOutcome = (typeof CONNECTION_OUTCOMES)[number];
export type DialOutcome = (typeof DIAL_OUTCOMES)[number];

/** A kind label: the kind itself if @tc/wire knows it, else 'unknown' (bounded cardinality). */
export function kindLabel(kind: string): string {
  return isMessageKind(kind) ? kind : 'unknown';
}

/** Values read when Prometheus scrapes; bind them with `bindSources`. */
export interface MetricSources {
  /** Scores of connected peers (PeerScoreBook.liveScores). */
  peerScores?: () => Iterable<number>;
  /** Entries in the ban list (BanList.size). */
  banListEntries?: () => number;
  /** Event-loop lag in ms to report, e.g. `lagMonitor.lagSince(lagMonitor.now() - 10_000)`. */
  eventLoopLagMs?: () => number;
}

export interface RegistryMetrics {
  /** Gauge {direction}: established connections. */
  readonly connections: Gauge<'direction'>;
  /** Counter {direction, outcome}: connection lifecycle events. */
  readonly connectionEvents: Counter<'direction' | 'outcome'>;
  /** Counter {direction, reason}: connections refused by ConnectionAdmission. */
  readonly admissionRejections: Counter<'direction' | 'reason'>;
  /** Counter {kind, outcome}: finished outbound requests. */
  readonly requests: Counter<'kind' | 'outcome'>;
  /** Histogram {kind}: outbound request duration, send to last response frame. */
  readonly requestSeconds: Histogram<'kind'>;
  /** Histogram: ping round-trip time. */
  readonly rttSeconds: Histogram<string>;
  /** Gauge {direction}: requests in flight (outbound: ours; inbound: the peers'). */
  readonly inflightRequests: Gauge<'direction'>;
  /** Counter {direction: in|out}: frame bytes, length prefix included. */
  readonly bytes: Counter<'direction'>;
  /** Counter {direction: in|out, kind}: frames. */
  readonly messages: Counter<'direction' | 'kind'>;
  /** Gauge: bytes queued for writing, all peers together. */
  readonly queuedBytes: Gauge<string>;
  /** Counter {kind}: inbound messages refused by the rate limiter. */
  readonly rateLimited: Counter<'kind'>;
  /** Counter {code, action}: every error resolved through the ErrorActionTable. */
  readonly peerActions: Counter<'code' | 'action'>;
  /** Counter {code}: timeouts not charged to the peer because our event loop lagged. */
  readonly excusedTimeouts: Counter<'code'>;
  /** Counter {code}: faults before a handshake proved an id (connection closed; nothing scored or banned). */
  readonly anonymousFaults: Counter<'code'>;
  /** Counter {reason}: bans imposed. */
  readonly bans: Counter<'reason'>;
  /** Gauge: entries in the ban list (from `bindSources`). */
  readonly banListEntries: Gauge<string>;
  /** Counter {reason}: connections we closed or lost, by reason. */
  readonly disconnects: Counter<'reason'>;
  /** Gauge {stat}: min/mean/max of connected peers' scores and how many are negative. */
  readonly peerScore: Gauge<'stat'>;
  /** Counter {reason}: failed handshakes, by error code. */
  readonly handshakeFailures: Counter<'reason'>;
  /** Counter {outcome}: dial attempts. */
  readonly dials: Counter<'outcome'>;
  /** Gauge: dials in progress. */
  readonly pendingDials: Gauge<string>;
  /** Gauge: event-loop lag in seconds (from `bindSources`). */
  readonly eventLoopLagSeconds: Gauge<string>;
  /** Sets (or, with undefined fields, clears) the values read at scrape time. */
  bindSources(sources: MetricSources): void;
}

const REQUEST_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const RTT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** Registers every registry metric on `register`. Throws if they are already registered there. */
export function createRegistryMetrics(register: Registry): RegistryMetrics {
  const registers = [register];
  let sources: MetricSources = {};
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Counter<L>({ name, help, labelNames, registers });
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Gauge<L>({ name, help, labelNames, registers });

  const peerScore = new Gauge<'stat'>({
    name: 'tc_registry_peer_score',
    help: 'Connected peers scores (-100..100): min, mean, max, and how many are negative',
    labelNames: ['stat'],
    registers,
    collect() {
      this.reset();
      const scores = sources.peerScores ? [...sources.peerScores()] : [];
      if (scores.length === 0) return;
      let min = Number.POSITIVE_INFINITY;
      let max = Number.NEGATIVE_INFINITY;
      let sum = 0;
      let negative = 0;
      for (const s of scores) {
        min = Math.min(min, s);
        max = Math.max(max, s);
        sum += s;
        if (s < 0) negative++;
      }
      this.set({ stat: 'min' }, min);
      this.set({ stat: 'mean' }, sum / scores.length);
      this.set({ stat: 'max' }, max);
      this.set({ stat: 'negative_count' }, negative);
    },
  });
  const banListEntries = new Gauge({
    name: 'tc_registry_ban_list_entries',
    help: 'Entries held in the ban list',
    registers,
    collect() {
      if (sources.banListEntries) this.set(sources.banListEntries());
    },
  });
  const eventLoopLagSeconds = new Gauge({
    name: 'tc_registry_event_loop_lag_seconds',
    help: 'Event-loop lag reported by the EventLoopLagMonitor',
    registers,
    collect() {
      if (sources.eventLoopLagMs) this.set(sources.eventLoopLagMs() / 1000);
    },
  });

  return {
    connections: gauge('tc_registry_connections', 'Established peer connections', ['direction']),
    connectionEvents: counter('tc_registry_connection_events_total', 'Connection lifecycle events', [
      'direction',
      'outcome',
    ]),
    admissionRejections: counter('tc_registry_admission_rejections_total', 'Connections refused a slot', [
      'direction',
      'reason',
    ]),
    requests: counter('tc_registry_requests_total', 'Finished outbound requests', ['kind', 'outcome']),
    requestSeconds: new Histogram<'kind'>({
      name: 'tc_registry_request_seconds',
      help: 'Outbound request duration, send to last response frame',
      labelNames: ['kind'],
      buckets: REQUEST_BUCKETS,
      registers,
    }),
    rttSeconds: new Histogram({
      name: 'tc_registry_rtt_seconds',
      help: 'Ping round-trip time',
      buckets: RTT_BUCKETS,
      registers,
    }),
    inflightRequests: gauge('tc_registry_inflight_requests', 'Requests in flight', ['direction']),
    bytes: counter('tc_registry_bytes_total', 'Frame bytes including the length prefix', ['direction']),
    messages: counter('tc_registry_messages_total', 'Frames by direction and kind', ['direction', 'kind']),
    queuedBytes: gauge('tc_registry_queued_bytes', 'Bytes queued for writing, all peers'),
    rateLimited: counter('tc_registry_rate_limited_total', 'Inbound messages refused by the rate limiter', [
      'kind',
    ]),
    peerActions: counter('tc_registry_peer_actions_total', 'Errors resolved through the error-action table', [
      'code',
      'action',
    ]),
    excusedTimeouts: counter(
      'tc_registry_excused_timeouts_total',
      'Timeouts not charged to the peer because our event loop lagged',
      ['code'],
    ),
    anonymousFaults: counter(
      'tc_registry_anonymous_faults_total',
      'Faults before the handshake proved an id: the connection is closed, nothing is scored or banned',
      ['code'],
    ),
    bans: counter('tc_registry_bans_total', 'Bans imposed', ['reason']),
    banListEntries,
    disconnects: counter('tc_registry_disconnects_total', 'Connections closed, by reason', ['reason']),
    peerScore,
    handshakeFailures: counter('tc_registry_handshake_failures_total', 'Failed handshakes', ['reason']),
    dials: counter('tc_registry_dials_total', 'Dial attempts by outcome', ['outcome']),
    pendingDials: gauge('tc_registry_pending_dials', 'Dials in progress'),
    eventLoopLagSeconds,
    bindSources(next: MetricSources): void {
      sources = { ...next };
    },
  };
}
