/**
 * Internal entry (`@tc/registry/internal`): every module's exports, for this package's tests and
 * the repository's tools. Not a stable API: it changes with the code. Applications use the
 * package's main entry (src/index.ts), which lists the public API.
 */
export { formatAddress, type HostPort, parseAddress } from './address.js';
export { AddressBook, type AddressBookStore, type PeerRecord } from './address-book.js';
export {
  type AdmissionLimits,
  type AdmissionResult,
  ConnectionAdmission,
  DEFAULT_ADMISSION_LIMITS,
} from './admission/index.js';
export { dedupKey, preferred } from './connect/session-table.js';
export { reasonName } from './disconnect-reason.js';
/** Raw Ed25519 keys ⇄ node:crypto KeyObjects, for every package (one implementation). */
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
export { FOREIGN_PROTOCOL, FOREIGN_PROTOCOL_RULE, isForeignProtocol } from './foreign-protocol.js';
export type { InboundMessage } from './frame-router.js';
export { HandshakeError, type HandshakeErrorCode } from './handshake/errors.js';
export type { HandshakeResult, LocalTip } from './handshake/handshake.js';
export { HANDSHAKE_DOMAIN, handshakeSignedMessage, NONCE_BYTES } from './handshake/proof.js';
export { NodeIdentity, nodeIdFromPublicKey, verifySignature } from './identity.js';
export { EventLoopLagMonitor } from './lag-monitor.js';
export { type Logger, silentLogger } from './logger.js';
export { createRegistryMetrics, type RegistryMetrics } from './metrics.js';
export {
  DEFAULT_REGISTRY_LIMITS,
  type RegistryLimits,
  type RegistryOptions,
} from './options.js';
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
export {
  isRequestKind,
  RESPONSE_OF,
  type RequestKind,
  type RequestMessage,
  type ResponseBody,
  type ResponseInput,
  type StreamRequestKind,
  type UnaryRequestKind,
} from './protocol.js';
export { DEFAULT_RATE_QUOTA, DEFAULT_RATE_QUOTAS, type RateQuota } from './rate-limiter/index.js';
export { PeerConnectionRegistry, type RegistryEvents } from './registry.js';
export type {
  QueryOptions,
  QueryResult,
  RequestCallOptions,
  StreamCallOptions,
} from './request/request-api.js';
export type {
  HandlerContext,
  RequestHandler,
  StreamHandler,
  UnaryHandler,
} from './response/dispatcher.js';
export type { Direction, PeerTip } from './session.js';
