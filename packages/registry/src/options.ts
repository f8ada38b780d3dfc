import { DEFAULT_MAX_FRAME_BYTES, MiB, resolveLimits, type WireLimits, type WireLimitsInput } from '@tc/wire';
import type { Registry as MetricsRegistry } from 'prom-client';
import type { AddressBookStore } from './address-book.js';
import type { AdmissionLimits } from './admission/index.js';
import type { LocalTip } from './handshake/handshake.js';
import type { NodeIdentity } from './identity.js';
import { type Logger, silentLogger } from './logger.js';
import type { BanStore, ErrorActionRule, PeerScoreOptions } from './peer-score/index.js';
import type { RateQuota } from './rate-limiter/index.js';

/** Every bound of the registry itself. Defaults and meaning: docs/LIMITS.md. */
export interface RegistryLimits {
  /** Largest frame accepted or sent (the wire's per-kind limits are capped by it). */
  maxFrameBytes: number;
  /** From TCP connect (or accept) to an authenticated session. */
  handshakeTimeoutMs: number;
  /**
   * Longest time one of our own in-flight dials may delay a proven session of the same peer
   * (a held HelloAck, a parked session) or a dial may wait for an inbound handshake from the
   * address it dials. Bounds what an unproven claim can cost; a few RTTs.
   */
  dedupHoldMs: number;
  /** TCP connect timeout of one dial. */
  dialTimeoutMs: number;
  /** Dials in progress at once; more are refused with DIAL_QUEUE_FULL. */
  maxPendingDials: number;
  /** Default timeout of `request` and `query`, and idle timeout of `stream`. */
  requestTimeoutMs: number;
  /**
   * Our requests awaiting a response, per peer; more wait for a slot (maxQueuedRequestsPerPeer).
   * Keep it ≤ the peers' maxInflightInboundPerPeer, or they answer BUSY (treated as back-pressure).
   */
  maxInflightOutboundPerPeer: number;
  /** Our requests waiting for an in-flight slot, per peer; more are refused with QueueFullError. */
  maxQueuedRequestsPerPeer: number;
  /** A peer's requests being handled at once; more are answered BUSY. */
  maxInflightInboundPerPeer: number;
  /**
   * Bytes of unfinished frames no request of ours asked for (gossip, unknown kinds), all
   * sessions together; over it the session whose frame has been in progress longest is dropped.
   */
  maxPartialFrameBytes: number;
  /** Bytes queued for writing per peer before sends wait for drain. */
  maxQueuedBytesPerPeer: number;
  /** How long a send waits for drain, and how long a peer may stay over the bound, before TOO_SLOW. */
  sendDrainTimeoutMs: number;
  pingIntervalMs: number;
  /** Consecutive unanswered pings before PING_TIMEOUT. */
  maxMissedPongs: number;
  /** First redial delay of a persistent peer. */
  reconnectBaseMs: number;
  /** Largest redial delay of a persistent peer. */
  reconnectMaxMs: number;
  /** A session shorter than this does not reset the redial backoff. */
  reconnectStableMs: number;
  addressBookMax: number;
  /** Outbound connections discovery tries to keep. */
  outboundTarget: number;
  /** How often discovery runs while at the outbound target (jittered ±25 %). */
  discoveryIntervalMs: number;
  /** Least time between two discovery rounds; also their period while below the target. */
  discoveryMinIntervalMs: number;
  /** How long a getPeers answer is served from cache before it is built again. */
  peerListCacheMs: number;
  /** Graceful close (Disconnect frame, FIN) before the socket is destroyed. */
  closeTimeoutMs: number;
  /** Chunks a stream buffers before the connection stops reading. */
  streamBufferChunks: number;
}

export const DEFAULT_REGISTRY_LIMITS: Readonly<RegistryLimits> = Object.freeze({
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
  handshakeTimeoutMs: 5_000,
  dedupHoldMs: 500,
  dialTimeoutMs: 10_000,
  maxPendingDials: 64,
  requestTimeoutMs: 10_000,
  maxInflightOutboundPerPeer: 64,
  maxQueuedRequestsPerPeer: 4_096,
  maxInflightInboundPerPeer: 64,
  maxPartialFrameBytes: 64 * MiB,
  maxQueuedBytesPerPeer: 8 * MiB,
  sendDrainTimeoutMs: 5_000,
  pingIntervalMs: 10_000,
  maxMissedPongs: 3,
  reconnectBaseMs: 1_000,
  reconnectMaxMs: 5 * 60_000,
  reconnectStableMs: 10_000,
  addressBookMax: 1_000,
  outboundTarget: 8,
  discoveryIntervalMs: 30_000,
  discoveryMinIntervalMs: 5_000,
  peerListCacheMs: 10_000,
  closeTimeoutMs: 2_000,
  streamBufferChunks: 16,
});

export interface RegistryOptions {
  identity: NodeIdentity;
  networkId: string;
  genesisHash: Uint8Array;
  /** Protocol version we speak (default 1). */
  protocolVersion?: number;
  /** Lowest protocol version we still accept (default = protocolVersion). */
  minProtocolVersion?: number;
  /** Free-form software name sent in the Hello (default "tc/0.1.0"). */
  agent?: string;
  /** Where to accept connections; `false` to only dial. Port 0 picks a free port. */
  listen?: { host?: string; port?: number } | false;
  /** Our chain tip, read for each Hello and getChainTip (default: height 0, empty hash). */
  getLocalTip?: () => LocalTip;
  limits?: Partial<RegistryLimits>;
  /** Per-kind wire limits, on top of `limits.maxFrameBytes`. */
  wireLimits?: Omit<WireLimitsInput, 'maxFrameBytes'>;
  admission?: Partial<AdmissionLimits>;
  /** Loopback peers skip the per-IP and per-/24 admission limits (tests, local clusters). */
  exemptLoopback?: boolean;
  /** Per-kind inbound quotas, merged over DEFAULT_RATE_QUOTAS. */
  rateQuotas?: Partial<Record<string, RateQuota>>;
  defaultRateQuota?: RateQuota;
  globalRateQuota?: RateQuota;
  /** Overrides and additions to the error → peer action table (e.g. INVALID_BLOCK → ban). */
  errorActions?: Record<string, ErrorActionRule>;
  scoring?: Omit<PeerScoreOptions, 'now'>;
  /** Lag at or above this (ms) excuses timeouts (default 200). */
  lagThresholdMs?: number;
  metricsRegistry?: MetricsRegistry;
  banStore?: BanStore;
  addressBookStore?: AddressBookStore;
  /** Addresses ("host:port") dialled at start and redialled with backoff whenever lost. */
  persistentPeers?: string[];
  /** Ask peers for addresses and dial up to `limits.outboundTarget` (default true). */
  discovery?: boolean;
  logger?: Logger;
}

export interface ResolvedOptions {
  readonly limits: Readonly<RegistryLimits>;
  readonly wireLimits: WireLimits;
  readonly protocolVersion: number;
  readonly minProtocolVersion: number;
  readonly agent: string;
  readonly logger: Logger;
  readonly getLocalTip: () => LocalTip;
}

const EMPTY_TIP: LocalTip = { height: 0, hash: new Uint8Array(0) };

export function resolveOptions(opts: RegistryOptions): ResolvedOptions {
  const limits = { ...DEFAULT_REGISTRY_LIMITS };
  for (const [name, value] of Object.entries(opts.limits ?? {}) as [keyof RegistryLimits, number][]) {
    if (value === undefined) continue;
    if (!(Number.isFinite(value) && value >= 0))
      throw new RangeError(`limits.${name} must be ≥ 0, got ${value}`);
    limits[name] = value;
  }
  if (limits.maxInflightOutboundPerPeer < 1) throw new RangeError('maxInflightOutboundPerPeer must be ≥ 1');
  if (limits.streamBufferChunks < 2) throw new RangeError('streamBufferChunks must be ≥ 2');
  const protocolVersion = opts.protocolVersion ?? 1;
  const minProtocolVersion = opts.minProtocolVersion ?? protocolVersion;
  if (minProtocolVersion > protocolVersion) throw new RangeError('minProtocolVersion > protocolVersion');
  if (Buffer.byteLength(opts.networkId, 'utf8') > 255)
    throw new RangeError('networkId longer than 255 bytes');
  return {
    limits: Object.freeze(limits),
    wireLimits: resolveLimits({ ...opts.wireLimits, maxFrameBytes: limits.maxFrameBytes }),
    protocolVersion,
    minProtocolVersion,
    agent: opts.agent ?? 'tc/0.1.0',
    logger: opts.logger ?? silentLogger,
    getLocalTip: opts.getLocalTip ?? (() => EMPTY_TIP),
  };
}
