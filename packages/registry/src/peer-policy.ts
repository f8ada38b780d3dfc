import { pb } from '@tc/wire';
import { disconnectReasonFor, reasonName } from './disconnect-reason.js';
import type { EventLoopLagMonitor } from './lag-monitor.js';
import { LogLimiter } from './log-limiter.js';
import type { Logger } from './logger.js';
import type { RegistryMetrics } from './metrics.js';
import {
  type BanList,
  type ErrorActionTable,
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
  /** One line per peer or IP per 10 s (a ban always gets its own): the operator sees every offender and every ban, not every offence. */
  private readonly logLimit = new LogLimiter();

  constructor(private readonly env: PeerPolicyEnv) {}

  /**
   * Applies the rule of `code` to the offender. Scores and bans go to the node id, and only
   * once it is proven, so a forger can never get the id it claims banned. A fault before the
   * handshake proved an id is anonymous: it closes that connection (at most 'disconnect') and
   * scores or bans nothing, not even the IP, which an honest node may share (NAT, a shared host,
   * 127.0.0.1). Such connections are bounded by admission: the per-/24 connection rate and the
   * pending-handshake slots. IP bans come only from the operator (`banAddress`, `setban`).
   * `timeoutStartedAt` (lag monitor clock) marks a timeout that our own lag may excuse.
   */
  penalize(offender: Offender, code: string, detail: string, timeoutStartedAt?: number): PenaltyDecision {
    const { env } = this;
    if (!offender.peerId) return this.anonymous(offender.ip, code, detail);
    const key = offender.peerId;
    const decision = penalizePeer(
      { table: env.table, scores: env.scores, bans: env.bans, lagMonitor: env.lag },
      key,
      code,
      {
        banKeys: [nodeBanKey(offender.peerId)],
        ...(timeoutStartedAt !== undefined ? { timeoutStartedAt } : {}),
      },
    );
    const label = env.table.has(code) ? code : 'other';
    env.metrics?.peerActions.inc({ code: label, action: decision.action });
    if (decision.excused) env.metrics?.excusedTimeouts.inc({ code: label });
    if (decision.action === 'ban') env.metrics?.bans.inc({ reason: label });
    // A ban is always logged (at most once per ban of a peer): the limiter must not hide it
    // behind the same peer's earlier penalty line.
    const logged = decision.action === 'ban' || (decision.action !== 'ignore' && this.logLimit.allow(key));
    if (logged) {
      const line = {
        peer: key.slice(0, 16),
        ip: offender.ip,
        code,
        action: decision.action,
        score: decision.score,
        detail,
      };
      if (decision.action === 'ban') env.logger.warn({ ...line, banMs: decision.banMs }, 'peer banned');
      else env.logger.info(line, decision.action === 'disconnect' ? 'peer disconnected' : 'peer penalized');
    }
    if (decision.action === 'disconnect' || decision.action === 'ban') {
      const reason = disconnectReasonFor(code, decision.action);
      env.closePeer(offender.peerId, reasonName(reason), reason);
    }
    return decision;
  }

  /** An anonymous fault: the rule's action capped at 'disconnect' (the caller closes it). */
  private anonymous(ip: string, code: string, detail: string): PenaltyDecision {
    const { env } = this;
    const rule = env.table.resolve(code);
    const action = rule.action === 'ignore' ? 'ignore' : 'disconnect';
    const label = env.table.has(code) ? code : 'other';
    env.metrics?.peerActions.inc({ code: label, action });
    env.metrics?.anonymousFaults.inc({ code: label });
    if (action !== 'ignore' && this.logLimit.allow(ip))
      env.logger.info({ ip, code, action, detail }, 'connection closed before the handshake');
    return { code, action, scoreDelta: 0, score: 0, excused: false };
  }

  /** A manual ban of a node id (operator or application decision). */
  ban(peerId: string, durationMs: number, reason: string): void {
    this.env.bans.ban(nodeBanKey(peerId), durationMs, reason);
    this.env.metrics?.bans.inc({ reason: 'manual' });
    this.env.logger.warn(
      { peer: peerId.slice(0, 16), banMs: durationMs, reason },
      'peer banned by the operator',
    );
    this.env.closePeer(peerId, 'banned', pb.DisconnectReason.DISCONNECT_REASON_BANNED);
  }
}
