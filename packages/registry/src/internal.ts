/**
 * Internal entry (`@tc/registry/internal`): every module's exports, for this package's tests and
 * the repository's tools. Not a stable API: it changes with the code. Applications use the
 * package's main entry (src/index.ts), which lists the public API.
 */
// The public API first; then what only tests and tools use.

export { AddressBook } from './address-book.js';
export { type AdmissionResult, ConnectionAdmission } from './admission/index.js';
export { dedupKey, preferred } from './connect/session-table.js';
export { FOREIGN_PROTOCOL, FOREIGN_PROTOCOL_RULE, isForeignProtocol } from './foreign-protocol.js';
export type { HandshakeResult, LocalTip } from './handshake/handshake.js';
export * from './index.js';
export { isRequestKind, RESPONSE_OF, type ResponseInput } from './protocol.js';
