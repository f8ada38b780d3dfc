import type { NodeIdentity } from '@tc/registry';
import type { Registry as MetricsRegistry } from 'prom-client';
import { HostileOptionError } from './errors.js';
import type { ProbeKind } from './honest-probe.js';
import type { Target } from './observe.js';
import type { CaseResult } from './report.js';

/**
 * The cases in the order they run. Cases that end with our address banned on a tc node
 * (stolen-identity always; oversized-prefix with `oversized.preHandshake`) come last, so a
 * run from one address still reaches every other case.
 */
export const CASE_NAMES = [
  'slowloris',
  'garbage',
  'request-flood',
  'never-reads',
  'wrong-genesis',
  'connection-storm',
  'unknown-kind',
  'decode-bomb',
  'lying-tip',
  'rpc-slow',
  'oversized-prefix',
  'stolen-identity',
] as const;

export type CaseName = (typeof CASE_NAMES)[number];

export function isCaseName(name: string): name is CaseName {
  return (CASE_NAMES as readonly string[]).includes(name);
}

export interface HostileOptions {
  /** The node under attack. */
  target: Target;
  networkId: string;
  /** The target's genesis hash (32 bytes, or 64 hex characters). */
  genesisHash: Uint8Array | string;
  /** Protocol version we speak (default 1). */
  protocolVersion?: number;
  /** Cases to run (default all, see CASE_NAMES); they always run in CASE_NAMES order. */
  cases?: readonly CaseName[];
  /** A case fails when the honest p99 during it exceeds honestFactor × baseline p99 (default 5). */
  honestFactor?: number;
  /** …or this floor, whichever is larger (default 25 ms): loopback RTTs are sub-ms and noisy. */
  latencyFloorMs?: number;
  probe?: {
    /** Request kind the honest peer times (default getChainTip). */
    kind?: ProbeKind;
    /** Pause between honest requests (default 600 ms: under tc's default getChainTip quota of 2/s). */
    intervalMs?: number;
    /** An honest request slower than this is a failure (default 5 000 ms). */
    timeoutMs?: number;
    /** Length of the baseline window before the first case (default 6 000 ms). */
    baselineMs?: number;
    /** Every window (baseline and each case) lasts until it holds this many results (default 5). */
    minSamples?: number;
    /**
     * Run the probe in a worker thread (default true), so this process's own work is not
     * timed as the node's latency. Falls back to this thread when dist/probe-worker.js is missing.
     */
    worker?: boolean;
  };
  /** The target's handshake deadline, used to judge slowloris and hold the storm (default 5 000 ms). */
  handshakeDeadlineMs?: number;
  /** TCP connect timeout of every raw connection (default 5 000 ms). */
  connectTimeoutMs?: number;
  /**
   * When the node turns a connection away before its Hello (an admission limit, e.g. the
   * per-subnet connection rate after the storm), retry for this long (default 15 000 ms).
   */
  admissionRetryMs?: number;
  /** Local address the attack sockets bind to (default: chosen by the OS). */
  localAddress?: string;
  slowloris?: { connections?: number; byteIntervalMs?: number };
  garbage?: { seed?: number; postTrials?: number };
  /** The node's JSON-RPC address, for rpc-slow (which is skipped without it). */
  rpc?: Target;
  /** rpc-slow: slow clients kept open (default 100) and each measuring window (default 5 000 ms). */
  rpcSlow?: { clients?: number; windowMs?: number };
  /** decode-bomb: sessions sending bombs at once (default 4; the run used 24). */
  decodeBomb?: { sessions?: number };
  flood?: { requests?: number; kind?: ProbeKind; waitMs?: number };
  neverReads?: { maxWaitMs?: number; requestIntervalMs?: number; rangeCount?: number };
  storm?: { connections?: number; connectTimeoutMs?: number; holdMs?: number; cleanupTimeoutMs?: number };
  /** preHandshake (default false): also send the prefix before any handshake (a tc node bans the address). */
  oversized?: { preHandshake?: boolean };
  /** Public key to steal (default: the honest probe's, a peer the target knows and has live). */
  stolenPublicKey?: Uint8Array | string;
  /**
   * slowloris and stolen-identity: while the attack's sockets are pending, the honest probe
   * drops its session and redials, and its first answer counts as a sample (default true).
   */
  reconnectDuringAttack?: boolean;
  /** Identity of the honest probe (default: fresh). */
  honestIdentity?: NodeIdentity;
  /** Called after each case with its result (tests read the target's state here). */
  betweenCases?: (result: CaseResult) => void | Promise<void>;
  /** Progress lines (default: none). */
  onLog?: (line: string) => void;
  /** Registers the tc_hostile_* metrics here. */
  metricsRegistry?: MetricsRegistry;
}

export interface Resolved {
  readonly target: Target;
  readonly networkId: string;
  readonly genesisHash: Uint8Array;
  readonly protocolVersion: number;
  readonly cases: readonly CaseName[];
  readonly honestFactor: number;
  readonly latencyFloorMs: number;
  readonly probe: {
    kind: ProbeKind;
    intervalMs: number;
    timeoutMs: number;
    baselineMs: number;
    minSamples: number;
    worker: boolean;
  };
  readonly handshakeDeadlineMs: number;
  readonly connectTimeoutMs: number;
  readonly admissionRetryMs: number;
  readonly localAddress: string | undefined;
  readonly slowloris: { connections: number; byteIntervalMs: number };
  readonly garbage: { seed: number; postTrials: number };
  readonly decodeBomb: { sessions: number };
  readonly rpc: Target | undefined;
  readonly rpcSlow: { clients: number; windowMs: number };
  readonly flood: { requests: number; kind: ProbeKind; waitMs: number };
  readonly neverReads: { maxWaitMs: number; requestIntervalMs: number; rangeCount: number };
  readonly storm: { connections: number; connectTimeoutMs: number; holdMs: number; cleanupTimeoutMs: number };
  readonly oversized: { preHandshake: boolean };
  readonly stolenPublicKey: Uint8Array | undefined;
  readonly reconnectDuringAttack: boolean;
  readonly log: (line: string) => void;
}

export const DEFAULTS = Object.freeze({
  honestFactor: 5,
  latencyFloorMs: 25,
  probeIntervalMs: 600,
  probeTimeoutMs: 5_000,
  baselineMs: 6_000,
  minSamples: 5,
  handshakeDeadlineMs: 5_000,
  connectTimeoutMs: 5_000,
  admissionRetryMs: 15_000,
  slowlorisConnections: 2,
  slowlorisByteIntervalMs: 100,
  floodRequests: 2_000,
  floodWaitMs: 10_000,
  neverReadsMaxWaitMs: 45_000,
  neverReadsRequestIntervalMs: 500,
  neverReadsRangeCount: 50,
  stormConnections: 1_000,
  stormConnectTimeoutMs: 10_000,
  stormCleanupTimeoutMs: 15_000,
});

export function resolveOptions(o: HostileOptions): Resolved {
  const cases = o.cases ?? CASE_NAMES;
  for (const c of cases) {
    if (!isCaseName(c))
      throw new HostileOptionError('UNKNOWN_CASE', `unknown case "${c}" (${CASE_NAMES.join(', ')})`);
  }
  const deadline = positive('handshakeDeadlineMs', o.handshakeDeadlineMs, DEFAULTS.handshakeDeadlineMs);
  return {
    target: o.target,
    networkId: o.networkId,
    genesisHash: bytes('genesisHash', o.genesisHash, 32),
    protocolVersion: positive('protocolVersion', o.protocolVersion, 1),
    cases: CASE_NAMES.filter((c) => cases.includes(c)),
    honestFactor: positive('honestFactor', o.honestFactor, DEFAULTS.honestFactor),
    latencyFloorMs: nonNegative('latencyFloorMs', o.latencyFloorMs, DEFAULTS.latencyFloorMs),
    probe: {
      kind: o.probe?.kind ?? 'getChainTip',
      intervalMs: nonNegative('probe.intervalMs', o.probe?.intervalMs, DEFAULTS.probeIntervalMs),
      timeoutMs: positive('probe.timeoutMs', o.probe?.timeoutMs, DEFAULTS.probeTimeoutMs),
      baselineMs: nonNegative('probe.baselineMs', o.probe?.baselineMs, DEFAULTS.baselineMs),
      minSamples: positive('probe.minSamples', o.probe?.minSamples, DEFAULTS.minSamples),
      worker: o.probe?.worker ?? true,
    },
    handshakeDeadlineMs: deadline,
    connectTimeoutMs: positive('connectTimeoutMs', o.connectTimeoutMs, DEFAULTS.connectTimeoutMs),
    admissionRetryMs: nonNegative('admissionRetryMs', o.admissionRetryMs, DEFAULTS.admissionRetryMs),
    localAddress: o.localAddress,
    slowloris: {
      connections: positive('slowloris.connections', o.slowloris?.connections, DEFAULTS.slowlorisConnections),
      byteIntervalMs: positive(
        'slowloris.byteIntervalMs',
        o.slowloris?.byteIntervalMs,
        DEFAULTS.slowlorisByteIntervalMs,
      ),
    },
    garbage: {
      seed: positive('garbage.seed', o.garbage?.seed, 1),
      postTrials: positive('garbage.postTrials', o.garbage?.postTrials, 3),
    },
    decodeBomb: { sessions: positive('decodeBomb.sessions', o.decodeBomb?.sessions, 4) },
    rpc: o.rpc,
    rpcSlow: {
      clients: positive('rpcSlow.clients', o.rpcSlow?.clients, 100),
      windowMs: positive('rpcSlow.windowMs', o.rpcSlow?.windowMs, 5_000),
    },
    flood: {
      requests: positive('flood.requests', o.flood?.requests, DEFAULTS.floodRequests),
      kind: o.flood?.kind ?? 'ping',
      waitMs: positive('flood.waitMs', o.flood?.waitMs, DEFAULTS.floodWaitMs),
    },
    neverReads: {
      maxWaitMs: positive('neverReads.maxWaitMs', o.neverReads?.maxWaitMs, DEFAULTS.neverReadsMaxWaitMs),
      requestIntervalMs: positive(
        'neverReads.requestIntervalMs',
        o.neverReads?.requestIntervalMs,
        DEFAULTS.neverReadsRequestIntervalMs,
      ),
      rangeCount: positive('neverReads.rangeCount', o.neverReads?.rangeCount, DEFAULTS.neverReadsRangeCount),
    },
    storm: {
      connections: positive('storm.connections', o.storm?.connections, DEFAULTS.stormConnections),
      connectTimeoutMs: positive(
        'storm.connectTimeoutMs',
        o.storm?.connectTimeoutMs,
        DEFAULTS.stormConnectTimeoutMs,
      ),
      holdMs: nonNegative('storm.holdMs', o.storm?.holdMs, deadline + 1_000),
      cleanupTimeoutMs: positive(
        'storm.cleanupTimeoutMs',
        o.storm?.cleanupTimeoutMs,
        DEFAULTS.stormCleanupTimeoutMs,
      ),
    },
    oversized: { preHandshake: o.oversized?.preHandshake ?? false },
    stolenPublicKey:
      o.stolenPublicKey === undefined ? undefined : bytes('stolenPublicKey', o.stolenPublicKey, 32),
    reconnectDuringAttack: o.reconnectDuringAttack ?? true,
    log: o.onLog ?? (() => undefined),
  };
}

function positive(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!(Number.isFinite(v) && v > 0))
    throw new HostileOptionError('BAD_OPTION', `${name} must be > 0, got ${v}`);
  return v;
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!(Number.isFinite(v) && v >= 0))
    throw new HostileOptionError('BAD_OPTION', `${name} must be ≥ 0, got ${v}`);
  return v;
}

/** 32 bytes from bytes or hex. */
export function bytes(name: string, value: Uint8Array | string, length: number): Uint8Array {
  const out =
    typeof value === 'string'
      ? /^(0x)?[0-9a-fA-F]*$/.test(value)
        ? Buffer.from(value.replace(/^0x/, ''), 'hex')
        : Buffer.alloc(0)
      : value;
  if (out.length !== length) {
    throw new HostileOptionError(
      'BAD_OPTION',
      `${name} must be ${length} bytes (${length * 2} hex characters)`,
    );
  }
  return new Uint8Array(out);
}
