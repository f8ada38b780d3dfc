export {
  BanList,
  type BanListOptions,
  type BanRecord,
  type BanStore,
  DEFAULT_BAN_LIST_MAX_ENTRIES,
  ipBanKey,
  MAX_BAN_MS,
  nodeBanKey,
} from './ban-list.js';
export {
  DEFAULT_BAN_MS,
  DEFAULT_ERROR_ACTIONS,
  type ErrorActionRule,
  ErrorActionTable,
  type PeerAction,
  REGISTRY_ERROR_CODES,
  type RegistryErrorCode,
  SCORE_DELTA,
  UNKNOWN_CODE_RULE,
} from './error-actions.js';
export {
  DEFAULT_PEER_SCORE_OPTIONS,
  MAX_SCORE,
  MIN_SCORE,
  PeerScoreBook,
  type PeerScoreOptions,
  type PeerScoreSnapshot,
  type ScoreVerdict,
} from './peer-scores.js';
export {
  DEFAULT_SCORE_BAN_MS,
  type PenaltyContext,
  type PenaltyDecision,
  type PenaltyOptions,
  penalizePeer,
} from './penalize.js';
