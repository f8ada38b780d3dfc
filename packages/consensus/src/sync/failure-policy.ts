import type { DownloadFailure } from './download.js';
import type { BatchOutcome } from './sync-metrics.js';
import type { RunConfig } from './sync-types.js';

/** What sync does about one failed batch download. */
export interface FailureReaction {
  /** The peer failed this range: it is never asked for it again, and an attempt is used up. */
  readonly blame: boolean;
  /** Code reported to `registry.reportPeer` (the error table decides the penalty). */
  readonly report: string | undefined;
  /** Leave the peer alone for rateLimitCooldownMs (it rate-limited us). */
  readonly coolDown: boolean;
  readonly outcome: BatchOutcome;
}

/**
 * The one table from a download failure to the reaction:
 *
 * | failure        | blame | report           | note                                          |
 * | empty          | yes   | SYNC_EMPTY_BATCH | its announced height covers the range         |
 * | short          | yes   | SYNC_SHORT_BATCH |                                               |
 * | bad            | yes   | SYNC_BAD_BATCH   | other heights, unlinked, more than asked      |
 * | timeout        | yes   | REQUEST_TIMEOUT  | neither when our event loop lagged meanwhile  |
 * | stall (abort)  | yes   | (SYNC_STALLED)   | reported by the stall detector; not if lagged |
 * | unserved       | yes   | SYNC_UNSERVED    | NOT_FOUND within the height it announced      |
 * | remote_error   | yes   | –                | another error reply: it cannot serve it now   |
 * | disconnected   | yes   | –                | the registry already judged the disconnect    |
 * | rate_limited   | no    | –                | our pace: cool down, retry it on any peer     |
 */
export function reactionTo(
  failure: DownloadFailure,
  ctx: { stalled: boolean; stallExcused: boolean; timeoutExcused: boolean },
): FailureReaction {
  switch (failure) {
    case 'empty':
      return { blame: true, report: 'SYNC_EMPTY_BATCH', coolDown: false, outcome: 'empty' };
    case 'short':
      return { blame: true, report: 'SYNC_SHORT_BATCH', coolDown: false, outcome: 'short' };
    case 'bad':
      return { blame: true, report: 'SYNC_BAD_BATCH', coolDown: false, outcome: 'bad' };
    case 'timeout':
      return ctx.timeoutExcused
        ? { blame: false, report: undefined, coolDown: false, outcome: 'timeout' }
        : { blame: true, report: 'REQUEST_TIMEOUT', coolDown: false, outcome: 'timeout' };
    case 'aborted':
      return {
        blame: ctx.stalled && !ctx.stallExcused,
        report: undefined,
        coolDown: false,
        outcome: ctx.stalled ? 'stalled' : 'disconnected',
      };
    case 'rate_limited':
      return { blame: false, report: undefined, coolDown: true, outcome: 'rate_limited' };
    case 'unserved':
      return { blame: true, report: 'SYNC_UNSERVED', coolDown: false, outcome: 'remote_error' };
    case 'remote_error':
      return { blame: true, report: undefined, coolDown: false, outcome: 'remote_error' };
    case 'disconnected':
      return { blame: true, report: undefined, coolDown: false, outcome: 'disconnected' };
  }
}

/** Reports a peer through the registry's error table (the only path to a penalty); returns the action. */
export function reportPeer(
  cfg: Pick<RunConfig, 'registry' | 'metrics' | 'log'>,
  peerId: string,
  code: string,
  detail: string,
): string {
  try {
    const decision = cfg.registry.reportPeer(peerId, code, detail);
    cfg.metrics?.peerReports.inc({ code });
    cfg.log.warn({ peer: peerId.slice(0, 12), code, action: decision.action, detail }, 'sync reported peer');
    return decision.action;
  } catch (error) {
    cfg.log.error({ err: String(error) }, 'reportPeer failed');
    return 'ignore';
  }
}
