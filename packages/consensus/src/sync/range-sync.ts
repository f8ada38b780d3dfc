import { EventEmitter } from 'node:events';
import { DEFAULT_RATE_QUOTAS, type Logger, type PeerConnectionRegistry, silentLogger } from '@tc/registry';
import type { tc } from '@tc/wire';
import type { Registry } from 'prom-client';
import type { SyncTarget } from '../chain/sync-target.js';
import { initHashing } from '../hashing.js';
import { SyncError, type SyncOutcome } from './errors.js';
import type { BlockQuota } from './peer-balancer.js';
import { registerSyncMetrics, type SyncMetrics } from './sync-metrics.js';
import { SyncRun } from './sync-run.js';
import type { ResolvedRangeSyncLimits, SyncPeerInput, SyncProgress, SyncStalled } from './sync-types.js';

export interface RangeSyncOptions {
  registry: PeerConnectionRegistry;
  target: SyncTarget;
  /** Blocks per getBlockRange request (default 64). */
  batchSize?: number;
  /** Batches downloaded or downloading but not yet imported (default 8). */
  maxBatchesAhead?: number;
  /** No new batch is started while downloaded blocks hold this many bytes (default 64 MiB). */
  maxBufferedBytes?: number;
  /** Longest wait for the next chunk of a batch (default 10 000 ms). */
  requestTimeoutMs?: number;
  /** No import for this long = stalled: warn, emit 'stalled', move the blocking batch (default 30 000 ms). */
  stallTimeoutMs?: number;
  /** Failed attempts (download or import) before the sync gives up on a batch (default 5). */
  maxAttemptsPerBatch?: number;
  /** Batches downloading from one peer at once (default 2). */
  maxInflightPerPeer?: number;
  /** Peers one sync keeps track of (default 256). */
  maxPeers?: number;
  /**
   * Our pacing of each peer, in blocks, to stay under its inbound getBlockRange quota.
   * Default: 90% of the registry's DEFAULT_RATE_QUOTAS.getBlockRange. `false`: no pacing.
   */
  peerQuota?: BlockQuota | false;
  /** How long a peer that rate-limited us is left alone (default 1 000 ms). */
  rateLimitCooldownMs?: number;
  /** Smallest interval between 'progress' events (default 250 ms, i.e. ≤ 4/s). */
  progressIntervalMs?: number;
  logger?: Logger;
  /** Registers tc_consensus_sync_* here (docs/METRICS.md). */
  metricsRegistry?: Registry;
  /** Finality certificates the ranges carried (README 15), with the peer that sent them. */
  onCertificates?: (peerId: string, certificates: tc.v1.ICertificate[]) => void;
}

export interface SyncEvents {
  progress: [SyncProgress];
  stalled: [SyncStalled];
  done: [SyncOutcome];
}

/** 90 % of a server's getBlockRange quota: an honest sync paced at it never meets the server's limiter. */
export function syncPace(q: { ratePerSec: number; burst: number }): BlockQuota {
  return { ratePerSec: q.ratePerSec * 0.9, burst: Math.max(1, Math.floor(q.burst * 0.9)) };
}

const registryQuota = DEFAULT_RATE_QUOTAS['getBlockRange'];

export const DEFAULT_RANGE_SYNC_LIMITS: ResolvedRangeSyncLimits = Object.freeze({
  batchSize: 64,
  maxBatchesAhead: 16,
  maxBufferedBytes: 64 * 1024 * 1024,
  requestTimeoutMs: 10_000,
  stallTimeoutMs: 30_000,
  maxAttemptsPerBatch: 5,
  maxInflightPerPeer: 2,
  maxPeers: 256,
  peerQuota: registryQuota ? syncPace(registryQuota) : undefined,
  rateLimitCooldownMs: 1_000,
  progressIntervalMs: 250,
});

function int(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < min || v > max) {
    throw new RangeError(`RangeSync ${name} must be an integer in ${min}..${max}, got ${v}`);
  }
  return v;
}

/**
 * Range sync: brings the local chain (a SyncTarget) up to the best height several peers
 * announce. Batches of `batchSize` blocks are downloaded from several peers in parallel
 * (getBlockRange streams), at most `maxBatchesAhead` ahead of the import, and imported strictly
 * in order. A batch that fails (empty, short, bad, timeout, invalid block) goes to another peer,
 * never back to one that failed it. See README "Sync".
 */
export class RangeSync extends EventEmitter<SyncEvents> {
  readonly limits: ResolvedRangeSyncLimits;
  private readonly registry: PeerConnectionRegistry;
  private readonly target: SyncTarget;
  private readonly log: Logger;
  private readonly metrics: SyncMetrics | undefined;
  private readonly onCertificates: RangeSyncOptions['onCertificates'];
  private run: SyncRun | undefined;

  constructor(options: RangeSyncOptions) {
    super();
    const d = DEFAULT_RANGE_SYNC_LIMITS;
    const quota = options.peerQuota === false ? undefined : (options.peerQuota ?? d.peerQuota);
    if (quota && !(quota.ratePerSec > 0 && quota.burst >= 1)) {
      throw new RangeError('RangeSync peerQuota needs ratePerSec > 0 and burst ≥ 1');
    }
    this.limits = Object.freeze({
      batchSize: int('batchSize', options.batchSize, d.batchSize, 1, 2_000),
      maxBatchesAhead: int('maxBatchesAhead', options.maxBatchesAhead, d.maxBatchesAhead, 1, 256),
      maxBufferedBytes: int('maxBufferedBytes', options.maxBufferedBytes, d.maxBufferedBytes, 1, 2 ** 40),
      requestTimeoutMs: int('requestTimeoutMs', options.requestTimeoutMs, d.requestTimeoutMs, 1, 2 ** 31 - 1),
      stallTimeoutMs: int('stallTimeoutMs', options.stallTimeoutMs, d.stallTimeoutMs, 1, 2 ** 31 - 1),
      maxAttemptsPerBatch: int(
        'maxAttemptsPerBatch',
        options.maxAttemptsPerBatch,
        d.maxAttemptsPerBatch,
        1,
        100,
      ),
      maxInflightPerPeer: int('maxInflightPerPeer', options.maxInflightPerPeer, d.maxInflightPerPeer, 1, 64),
      maxPeers: int('maxPeers', options.maxPeers, d.maxPeers, 1, 10_000),
      peerQuota: quota,
      rateLimitCooldownMs: int(
        'rateLimitCooldownMs',
        options.rateLimitCooldownMs,
        d.rateLimitCooldownMs,
        0,
        600_000,
      ),
      progressIntervalMs: int(
        'progressIntervalMs',
        options.progressIntervalMs,
        d.progressIntervalMs,
        0,
        600_000,
      ),
    });
    this.registry = options.registry;
    this.onCertificates = options.onCertificates;
    this.target = options.target;
    const logger = options.logger ?? silentLogger;
    this.log = logger.child ? logger.child({ module: 'sync' }) : logger;
    this.metrics = options.metricsRegistry ? registerSyncMetrics(options.metricsRegistry) : undefined;
  }

  /** Whether a sync is running. */
  get syncing(): boolean {
    return this.run !== undefined;
  }

  /**
   * Syncs up to the highest height among `peers` (typically from registry.peers() tips).
   * Resolves with what was done; rejects with SyncError (ALREADY_SYNCING, ABORTED,
   * NO_USEFUL_PEERS, BATCH_FAILED, IMPORT_FAILED), whose `outcome` says how far it got. When
   * it settles no download or import of this sync is running any more.
   */
  async syncTo(peers: readonly SyncPeerInput[], opts: { signal?: AbortSignal } = {}): Promise<SyncOutcome> {
    if (this.run) throw new SyncError('ALREADY_SYNCING', 'a sync is already running');
    for (const p of peers) {
      if (typeof p.peerId !== 'string' || !Number.isSafeInteger(p.height) || p.height < 0) {
        throw new RangeError(`bad sync peer ${String(p.peerId)} at height ${p.height}`);
      }
    }
    await initHashing();
    if (this.run) throw new SyncError('ALREADY_SYNCING', 'a sync is already running');
    const run = new SyncRun(
      {
        ...this.limits,
        registry: this.registry,
        target: this.target,
        log: this.log,
        metrics: this.metrics,
        // The registry's monitor: one lag measure for every timeout on this event loop.
        lag: this.registry.lag,
        onProgress: (p) => this.emit('progress', p),
        onStalled: (s) => this.emit('stalled', s),
        ...(this.onCertificates ? { onCertificates: this.onCertificates } : {}),
      },
      peers,
      opts.signal,
    );
    this.run = run;
    try {
      run.start();
      const outcome = await run.done;
      this.emit('done', outcome);
      return outcome;
    } finally {
      this.run = undefined;
    }
  }

  /** Adds peers to the running sync (new connections, higher tips). No-op when idle. */
  addPeers(peers: readonly SyncPeerInput[]): void {
    this.run?.addPeers(peers);
  }

  /**
   * Peers that connected while the sync runs, as more download sources up to its target. Their
   * tips are only claims (no fork check has looked at them), so they never raise the target: a
   * peer without the blocks fails its batches, which go to others. No-op when idle.
   */
  addSources(peers: readonly SyncPeerInput[]): void {
    const run = this.run;
    if (!run) return;
    run.addPeers(peers.map((p) => ({ ...p, height: Math.min(p.height, run.targetHeight) })));
  }

  /** Stops a running sync (it rejects with ABORTED once its import in progress has ended). */
  stop(reason = 'sync stopped'): void {
    this.run?.stop(reason);
  }
}

export type { ResolvedRangeSyncLimits } from './sync-types.js';
