import type { RegistryMetrics } from '../metrics.js';
import { type BanList, nodeBanKey } from './ban-list.js';
import { DEFAULT_BAN_MS, type ErrorActionTable, type PeerAction } from './error-actions.js';
import type { PeerScoreBook, ScoreVerdict } from './peer-scores.js';

/**
 * The single path from an error code to a peer action: table → (lag excuse) → score →
 * escalation → ban. The caller then carries out `decision.action` (close the socket for
 * 'disconnect' and 'ban'); the ban itself is already recorded when `bans` is given.
 */

export interface PenaltyContext {
  readonly table: ErrorActionTable;
  readonly scores: PeerScoreBook;
  /** When given, a 'ban' decision is recorded here. */
  readonly bans?: BanList;
  /** When given, a timeout (see `timeoutStartedAt`) during our own lag is not charged. */
  readonly lagMonitor?: { excusesTimeout(startMs: number): boolean };
  /** Ban length when the score (not the rule) calls for a ban (default 30 min, as Lodestar). */
  readonly scoreBanMs?: number;
  /** When given: peer_actions_total, excused_timeouts_total and bans_total are counted here. */
  readonly metrics?: Pick<RegistryMetrics, 'peerActions' | 'excusedTimeouts' | 'bans'>;
}

export interface PenaltyOptions {
  /**
   * For timeouts: when the timed-out wait started, on the lag monitor's clock. If our loop
   * lagged since then the decision is 'ignore' (excused): no score and no disconnect, so a
   * stall of ours (GC, a big import) does not cost us healthy peers (lodestar#1990).
   */
  readonly timeoutStartedAt?: number;
  /** Keys to ban on a 'ban' decision (default: [nodeBanKey(peerId)]), e.g. add ipBanKey(ip). */
  readonly banKeys?: readonly string[];
}

export interface PenaltyDecision {
  readonly code: string;
  /** What the caller must do now: the rule's action, escalated by the score verdict. */
  readonly action: PeerAction;
  /** Score change applied (0 if none). */
  readonly scoreDelta: number;
  /** The peer's score afterwards. */
  readonly score: number;
  /** Set when `action` is 'ban'. */
  readonly banMs?: number;
  /** true when the error was a timeout excused by our own event-loop lag. */
  readonly excused: boolean;
}

export const DEFAULT_SCORE_BAN_MS = 30 * 60_000;

const SEVERITY: Record<PeerAction, number> = { ignore: 0, score: 1, disconnect: 2, ban: 3 };
const VERDICT_ACTION: Record<ScoreVerdict, PeerAction> = {
  ok: 'ignore',
  disconnect: 'disconnect',
  ban: 'ban',
};

/**
 * Applies the table's rule for `code` to peer `peerId` (its node id hex). Never throws for
 * store failures (BanList reports them to its onError).
 */
export function penalizePeer(
  ctx: PenaltyContext,
  peerId: string,
  code: string,
  opts: PenaltyOptions = {},
): PenaltyDecision {
  const rule = ctx.table.resolve(code);
  const excused =
    opts.timeoutStartedAt !== undefined && ctx.lagMonitor?.excusesTimeout(opts.timeoutStartedAt) === true;
  if (excused) ctx.metrics?.excusedTimeouts.inc({ code });
  if (excused || rule.action === 'ignore') {
    ctx.metrics?.peerActions.inc({ code, action: 'ignore' });
    return { code, action: 'ignore', scoreDelta: 0, score: ctx.scores.score(peerId), excused };
  }
  const delta = rule.scoreDelta ?? 0;
  const verdict = delta !== 0 ? ctx.scores.add(peerId, delta, code) : 'ok';
  const escalated = VERDICT_ACTION[verdict];
  const action = SEVERITY[escalated] > SEVERITY[rule.action] ? escalated : rule.action;
  const score = ctx.scores.score(peerId);
  ctx.metrics?.peerActions.inc({ code, action });
  if (action !== 'ban') return { code, action, scoreDelta: delta, score, excused: false };
  const banMs =
    rule.action === 'ban' ? (rule.banMs ?? DEFAULT_BAN_MS) : (ctx.scoreBanMs ?? DEFAULT_SCORE_BAN_MS);
  if (ctx.bans !== undefined) {
    for (const key of opts.banKeys ?? [nodeBanKey(peerId)]) ctx.bans.ban(key, banMs, code);
  }
  ctx.metrics?.bans.inc({ reason: code });
  return { code, action, scoreDelta: delta, score, banMs, excused: false };
}
