/**
 * @tc/registry: the PeerConnectionRegistry, which owns every peer connection and through which
 * every message, request and response flows, with its identity, errors, error table, rate
 * quotas and metrics. README.md documents this public API; tests and the repository's tools
 * reach the internals through `@tc/registry/internal`.
 */
export { formatAddress, type HostPort, parseAddress } from './address.js';
export type { AddressBookStore, PeerRecord } from './address-book.js';
export { type AdmissionLimits, DEFAULT_ADMISSION_LIMITS } from './admission/index.js';
export { reasonName } from './disconnect-reason.js';
export * as ed25519 from './ed25519.js';
export { PRIVATE_KEY_BYTES, PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from './ed25519.js';
export {
  DialError,
  type DialErrorCode,
  ERROR_REPLY_CODES,
  type ErrorReplyCodeName,
  errorReplyCodeName,
  HandlerError,
  NotConnectedError,
  PeerDisconnectedError,
  QueueFullError,
  RateLimitedError,
  RemoteError,
  RequestAbortedError,
  RequestError,
  type RequestErrorCode,
  RequestTimeoutError,
} from './errors.js';
export type { InboundMessage } from './frame-router.js';
export { HandshakeError, type HandshakeErrorCode } from './handshake/errors.js';
export { HANDSHAKE_DOMAIN, handshakeSignedMessage, NONCE_BYTES } from './handshake/proof.js';
export { NodeIdentity, nodeIdFromPublicKey, verifySignature } from './identity.js';
export { EventLoopLagMonitor } from './lag-monitor.js';
export { type Logger, silentLogger } from './logger.js';
export { createRegistryMetrics, type RegistryMetrics } from './metrics.js';
export { DEFAULT_REGISTRY_LIMITS, type RegistryLimits, type RegistryOptions } from './options.js';
export type { PeerInfo } from './peer-info.js';
export {
  type BanRecord,
  type BanStore,
  DEFAULT_ERROR_ACTIONS,
  type ErrorActionRule,
  ErrorActionTable,
  ipBanKey,
  nodeBanKey,
  type PeerAction,
  type PenaltyDecision,
} from './peer-score/index.js';
export type {
  RequestKind,
  RequestMessage,
  ResponseBody,
  StreamRequestKind,
  UnaryRequestKind,
} from './protocol.js';
export { DEFAULT_RATE_QUOTA, DEFAULT_RATE_QUOTAS, type RateQuota } from './rate-limiter/index.js';
export { PeerConnectionRegistry, type RegistryEvents } from './registry.js';
export type {
  QueryOptions,
  QueryResult,
  RequestCallOptions,
  StreamCallOptions,
} from './request/request-api.js';
export type { HandlerContext, RequestHandler, StreamHandler, UnaryHandler } from './response/dispatcher.js';
export type { Direction, PeerTip } from './session.js';
