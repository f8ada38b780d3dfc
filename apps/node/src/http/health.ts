import type { SyncInfo } from '../rpc/api.js';

/** What the daemon reports about itself; @tc/consensus and @tc/registry feed it. */
export interface HealthSnapshot {
  /** Started and able to serve (store open, pool up, listeners bound). */
  readonly ready: boolean;
  readonly height: number;
  readonly sync: SyncInfo;
  readonly peers: number;
  /** Why not ready, e.g. `store opening`. */
  readonly reasons?: readonly string[];
}

export interface HealthProvider {
  health(): HealthSnapshot | Promise<HealthSnapshot>;
}

/** The body of GET /health. */
export interface HealthReport {
  readonly status: 'ok' | 'not_ready' | 'stopping';
  /** True whenever the process answers. */
  readonly live: true;
  readonly ready: boolean;
  readonly height: number;
  readonly sync: SyncInfo;
  readonly peers: number;
  readonly uptimeSeconds: number;
  readonly reasons: readonly string[];
}

export function healthReport(snapshot: HealthSnapshot, stopping: boolean, startedAtMs: number): HealthReport {
  const ready = snapshot.ready && !stopping;
  return {
    status: stopping ? 'stopping' : ready ? 'ok' : 'not_ready',
    live: true,
    ready,
    height: snapshot.height,
    sync: snapshot.sync,
    peers: snapshot.peers,
    uptimeSeconds: Math.round((Date.now() - startedAtMs) / 1000),
    reasons: stopping ? ['stopping', ...(snapshot.reasons ?? [])] : [...(snapshot.reasons ?? [])],
  };
}
