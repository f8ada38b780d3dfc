import type { EventLoopLagMonitor, Logger, PeerConnectionRegistry } from '@tc/registry';
import type { tc } from '@tc/wire';
import type { SyncTarget } from '../chain/sync-target.js';
import type { BlockQuota } from './peer-balancer.js';
import type { SyncMetrics } from './sync-metrics.js';

/** A peer to sync from: its node id and the tip it announced. */
export interface SyncPeerInput {
  readonly peerId: string;
  readonly height: number;
  readonly hash: Uint8Array;
}

/** The 'progress' event: emitted at most every progressIntervalMs, and once at the end. */
export interface SyncProgress {
  readonly height: number;
  readonly target: number;
  /** Import rate over the last ~5 s. */
  readonly blocksPerSec: number;
  /** Connected peers that can serve the heights still missing. */
  readonly peers: number;
}

/** The 'stalled' event: no block imported for stallTimeoutMs. */
export interface SyncStalled {
  readonly height: number;
  readonly target: number;
  readonly sinceMs: number;
  /** The batch that blocks progress (the lowest one not imported). */
  readonly batch: { readonly start: number; readonly end: number; readonly state: string } | undefined;
  readonly peer: string | undefined;
  /** 'reassigned': its download was cancelled and goes to another peer; 'waiting': nothing to move. */
  readonly action: 'reassigned' | 'waiting';
}

/** The limits of a sync, with every default filled in. */
export interface ResolvedRangeSyncLimits {
  readonly batchSize: number;
  readonly maxBatchesAhead: number;
  readonly maxBufferedBytes: number;
  readonly requestTimeoutMs: number;
  readonly stallTimeoutMs: number;
  readonly maxAttemptsPerBatch: number;
  readonly maxInflightPerPeer: number;
  readonly maxPeers: number;
  readonly peerQuota: BlockQuota | undefined;
  readonly rateLimitCooldownMs: number;
  readonly progressIntervalMs: number;
}

export interface RunConfig extends ResolvedRangeSyncLimits {
  readonly registry: PeerConnectionRegistry;
  readonly target: SyncTarget;
  readonly log: Logger;
  readonly metrics: SyncMetrics | undefined;
  /** How late our own event loop ran, to excuse timeouts we caused (the registry's monitor). */
  readonly lag: Pick<EventLoopLagMonitor, 'now' | 'excusesTimeout'>;
  readonly onProgress: (p: SyncProgress) => void;
  readonly onStalled: (s: SyncStalled) => void;
  readonly onCertificates?: (peerId: string, certificates: tc.v1.ICertificate[]) => void;
}
