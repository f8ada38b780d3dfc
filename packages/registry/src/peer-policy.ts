import { pb } from '@tc/wire';
import { disconnectReasonFor, reasonName } from './disconnect-reason.js';
import type { EventLoopLagMonitor } from './lag-monitor.js';
import type { Logger } from './logger.js';
import type { RegistryMetrics } from './metrics.js';
import {
  type BanList,
  type ErrorActionTable,
  ipBanKey,
  nodeBanKey,
  type PeerScoreBook,
  type PenaltyDecision,
  penalizePeer,
} from './peer-score/index.js';

export interface PeerPolicyEnv {
  readonly table: ErrorActionTable;
  readonly scores: PeerScoreBook;
  readonly bans: BanList;
  readonly lag: EventLoopLagMonitor;
  readonly metrics: RegistryMetrics | undefined;
  readonly logger: Logger;
  /** Closes the peer's session (live or parked), sending Disconnect{reason}. */
  closePeer(peerId: string, reasonName: string, reason: number): void;
}

/** Who caused an error: a proven node id, or (before the handshake proved one) an IP. */
export interface Offender {
  readonly peerId?: string | undefined;
  readonly ip: string;
}

/**
 * The ONE path from an error a peer caused to what happens to it: ErrorActionTable → (timeouts
 * excused while our own loop lagged) → decaying score → disconnect or ban. Every error code in
 * the registry, and every `reportPeer` from other packages, goes through `penalize`.
 */
export class PeerPolicy {
  constructor(private readonly env: PeerPolicyEnv) {}

  /**
   * Applies the rule of `code` to the offender. Scores and bans go to the node id when it is
   * proven, else to the IP ('ip:<addr>'), so a forger can never get the id it claims banned.
   * `timeoutStartedAt` (lag monitor clock) marks a timeout that our own lag may excuse.
   */
  penalize(offender: Offender, code: string, detail: string, timeoutStartedAt?: number): PenaltyDecision {
    const { env } = this;
    const key = offender.peerId ?? `ip:${offender.ip}`;
    const decision = penalizePeer(
      { table: env.table, scores: env.scores, bans: env.bans, lagMonitor: env.lag },
      key,
      code,
      {
        banKeys: [offender.peerId ? nodeBanKey(offender.peerId) : ipBanKey(offender.ip)],
        ...(timeoutStartedAt !== undefined ? { timeoutStartedAt } : {}),
      },
    );
    const label = env.table.has(code) ? code : 'other';
    env.metrics?.peerActions.inc({ code: label, action: decision.action });
    if (decision.excused) env.metrics?.excusedTimeouts.inc({ code: label });
    if (decision.action === 'ban') env.metrics?.bans.inc({ reason: label });
    if (decision.action !== 'ignore') {
      env.logger.debug({ peer: key.slice(0, 16), code, action: decision.action, detail }, 'peer penalized');
    }
    if ((decision.action === 'disconnect' || decision.action === 'ban') && offender.peerId) {
      const reason = disconnectReasonFor(code, decision.action);
      env.closePeer(offender.peerId, reasonName(reason), reason);
    }
    return decision;
  }

  /** A manual ban of a node id (operator or application decision). */
  ban(peerId: string, durationMs: number, reason: string): void {
    this.env.bans.ban(nodeBanKey(peerId), durationMs, reason);
    this.env.metrics?.bans.inc({ reason: 'manual' });
    this.env.closePeer(peerId, 'banned', pb.DisconnectReason.DISCONNECT_REASON_BANNED);
  }
}
