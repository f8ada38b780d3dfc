/**
 * The ONE table from an error code to what happens to the peer (Lodestar's
 * `errorToPeerAction`). Nothing else in tc decides whether an error costs a peer score,
 * its connection, or a ban: callers look the code up here and apply the rule.
 *
 * Action semantics (applied by the caller, e.g. via `penalizePeer`):
 * - `ignore`: nothing happens to the peer.
 * - `score`: add `scoreDelta` to the peer's decaying score; the score book may escalate.
 * - `disconnect`: close the connection, and add `scoreDelta` if set (so a peer that keeps
 *   reconnecting and repeating the offence reaches the ban threshold).
 * - `ban`: close and ban the peer's node id for `banMs`, and add `scoreDelta` if set.
 */

export type PeerAction = 'ignore' | 'score' | 'disconnect' | 'ban';

export interface ErrorActionRule {
  readonly action: PeerAction;
  /** Added to the peer's score (negative = penalty). Absent = no score change. */
  readonly scoreDelta?: number;
  /** Ban duration for `ban` rules. `resolve` always fills it in for them. */
  readonly banMs?: number;
  readonly description?: string;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Ban duration given to a `ban` rule that does not name one. */
export const DEFAULT_BAN_MS = HOUR;

/** Score deltas, on Lodestar's scale (score −100..100, disconnect below −20, ban below −50). */
export const SCORE_DELTA = Object.freeze({
  /** One offence bans outright: lands at −100. */
  fatal: -100,
  /** Low tolerance: about 3 in a few minutes → disconnect, 6 → ban. */
  low: -10,
  /** Mid tolerance: about 5 in a few minutes → disconnect. */
  mid: -5,
  /** High tolerance: honest peers hit these now and then. */
  high: -1,
});

/** Codes the registry itself raises. Later packages add theirs through the table's overrides. */
export const REGISTRY_ERROR_CODES = [
  'FRAME_TOO_LARGE',
  'MALFORMED_FRAME',
  'DECODER_BROKEN',
  'FRAME_REFUSED',
  'PARTIAL_FRAME_BUDGET',
  'HANDSHAKE_TIMEOUT',
  'BAD_HANDSHAKE_SIGNATURE',
  'WRONG_NETWORK',
  'WRONG_GENESIS',
  'INCOMPATIBLE_VERSION',
  'MESSAGE_BEFORE_HANDSHAKE',
  'UNEXPECTED_RESPONSE',
  'RATE_LIMITED',
  'RATE_LIMIT_ABUSE',
  'QUEUE_OVERFLOW',
  'TOO_SLOW',
  'PING_TIMEOUT',
  'REQUEST_TIMEOUT',
  'UNKNOWN_KIND',
  'INVALID_REQUEST',
  'INVALID_RESPONSE',
  'INBOUND_REQUEST_LIMIT',
  'REMOTE_RATE_LIMITED',
  'REQUEST_ABORTED',
] as const;

export type RegistryErrorCode = (typeof REGISTRY_ERROR_CODES)[number];

const rule = (
  action: PeerAction,
  description: string,
  scoreDelta?: number,
  banMs?: number,
): ErrorActionRule =>
  Object.freeze({
    action,
    ...(scoreDelta !== undefined ? { scoreDelta } : {}),
    ...(banMs !== undefined ? { banMs } : {}),
    description,
  });

/** The registry's own rules; every RegistryErrorCode has one (checked at compile time). */
export const DEFAULT_ERROR_ACTIONS: Readonly<Record<string, ErrorActionRule>> = Object.freeze({
  FRAME_TOO_LARGE: rule(
    'ban',
    'frame above the wire limit: a memory attack or a broken peer',
    -100,
    30 * MINUTE,
  ),
  MALFORMED_FRAME: rule('disconnect', 'bytes are not a valid Envelope; the stream cannot resync', -20),
  DECODER_BROKEN: rule('disconnect', 'consequence of an earlier decode error, already charged'),
  FRAME_REFUSED: rule(
    'disconnect',
    'a frame refused from its header (a response no request of ours takes); the stream cannot skip it',
    -20,
  ),
  PARTIAL_FRAME_BUDGET: rule(
    'disconnect',
    'the oldest unfinished unsolicited frame while all of them are over maxPartialFrameBytes: maybe just slow, so no score',
  ),
  HANDSHAKE_TIMEOUT: rule('disconnect', 'no handshake in time; may be network or our lag, so no score'),
  BAD_HANDSHAKE_SIGNATURE: rule('ban', 'handshake signature does not verify: forged identity', -100, HOUR),
  WRONG_NETWORK: rule('disconnect', 'peer is on another network; honest misconfiguration'),
  WRONG_GENESIS: rule(
    'ban',
    'peer follows another chain: banned for an hour so we stop redialling it, lifted as soon as it comes back with our genesis',
    0,
    HOUR,
  ),
  INCOMPATIBLE_VERSION: rule('disconnect', 'protocol versions do not overlap; honest'),
  MESSAGE_BEFORE_HANDSHAKE: rule('disconnect', 'a non-handshake message arrived before the handshake', -20),
  UNEXPECTED_RESPONSE: rule('score', 'response to no pending request of ours', SCORE_DELTA.mid),
  RATE_LIMITED: rule(
    'ignore',
    'over an inbound quota: back-pressure (a request is answered RATE_LIMITED, gossip is dropped), never blame; honest peers overshoot under load',
  ),
  RATE_LIMIT_ABUSE: rule(
    'disconnect',
    'refused traffic went on past abuseFactor (10) times the quota: far beyond any honest pattern',
    -20,
  ),
  QUEUE_OVERFLOW: rule('disconnect', 'our send queue to the peer overflowed: slow, not malicious; no ban'),
  TOO_SLOW: rule('disconnect', 'peer did not drain our writes in time: slow, not malicious; no ban'),
  PING_TIMEOUT: rule('disconnect', 'missed pongs; the link is dead or we lagged, so no score'),
  REQUEST_TIMEOUT: rule(
    'ignore',
    'no response in time: an honest peer under load or a slow link looks the same, so it is no proof; the caller tries another peer',
  ),
  UNKNOWN_KIND: rule('ignore', 'a kind from a newer protocol version; skipped'),
  INVALID_REQUEST: rule(
    'score',
    'a request kind with request id 0 (every request needs a non-zero id): it cannot be answered, so it is dropped; a broken client, not an attack',
    SCORE_DELTA.mid,
  ),
  INVALID_RESPONSE: rule('score', 'response does not match its request or fails validation', SCORE_DELTA.low),
  INBOUND_REQUEST_LIMIT: rule(
    'ignore',
    'over maxInflightInboundPerPeer, answered BUSY: back-pressure an honest requester obeys (a flood is bounded by the rate limiter, which charges)',
  ),
  REMOTE_RATE_LIMITED: rule('ignore', 'the peer rate-limited us: our pace, not its fault'),
  REQUEST_ABORTED: rule('ignore', 'we aborted the request ourselves'),
} satisfies Record<RegistryErrorCode, ErrorActionRule>);

/** What an unknown code resolves to: a small penalty, never a disconnect. */
export const UNKNOWN_CODE_RULE: ErrorActionRule = rule(
  'score',
  'code not in the table: conservative small penalty',
  SCORE_DELTA.high,
);

const ACTIONS: ReadonlySet<string> = new Set<PeerAction>(['ignore', 'score', 'disconnect', 'ban']);

function normaliseRule(code: string, r: ErrorActionRule): ErrorActionRule {
  if (!ACTIONS.has(r.action)) throw new RangeError(`${code}: unknown action ${String(r.action)}`);
  if (r.scoreDelta !== undefined && !Number.isFinite(r.scoreDelta)) {
    throw new RangeError(`${code}: scoreDelta must be finite, got ${r.scoreDelta}`);
  }
  if (r.banMs !== undefined && !(r.banMs > 0)) {
    throw new RangeError(`${code}: banMs must be > 0, got ${r.banMs}`);
  }
  if (r.action === 'ban' && r.banMs === undefined) return Object.freeze({ ...r, banMs: DEFAULT_BAN_MS });
  return Object.isFrozen(r) ? r : Object.freeze({ ...r });
}

/**
 * The defaults plus the overrides a later package adds (consensus: e.g. INVALID_BLOCK → ban,
 * UNKNOWN_PARENT → ignore). Overrides are validated at construction and may replace defaults.
 */
export class ErrorActionTable {
  private readonly rules = new Map<string, ErrorActionRule>();

  constructor(overrides?: Record<string, ErrorActionRule>) {
    for (const [code, r] of Object.entries(DEFAULT_ERROR_ACTIONS))
      this.rules.set(code, normaliseRule(code, r));
    for (const [code, r] of Object.entries(overrides ?? {})) this.rules.set(code, normaliseRule(code, r));
  }

  /** The rule for `code`; unknown codes get UNKNOWN_CODE_RULE (score −1). */
  resolve(code: string): ErrorActionRule {
    return this.rules.get(code) ?? UNKNOWN_CODE_RULE;
  }

  /** Whether `code` has its own rule. */
  has(code: string): boolean {
    return this.rules.has(code);
  }

  /** Every [code, rule], defaults first, then added codes in the order given. */
  entries(): Array<[string, ErrorActionRule]> {
    return [...this.rules.entries()];
  }
}
