export {
  checkQuota,
  DEFAULT_GCRA_MAX_KEYS,
  GcraLimiter,
  type GcraLimiterOptions,
  normaliseCost,
  type RateQuota,
} from './gcra.js';
export {
  DEFAULT_ABUSE_FACTOR,
  DEFAULT_GLOBAL_RATE_QUOTA,
  DEFAULT_RATE_QUOTA,
  DEFAULT_RATE_QUOTAS,
  PeerRateLimiter,
  type PeerRateLimiterOptions,
  type RateVerdict,
} from './peer-rate-limiter.js';
