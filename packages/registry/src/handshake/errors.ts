import { pb } from '@tc/wire';

export type HandshakeErrorCode =
  | 'HANDSHAKE_TIMEOUT'
  | 'BAD_HANDSHAKE_SIGNATURE'
  | 'BAD_HELLO'
  | 'WRONG_NETWORK'
  | 'WRONG_GENESIS'
  | 'INCOMPATIBLE_VERSION'
  | 'MESSAGE_BEFORE_HANDSHAKE'
  | 'SELF_CONNECTION'
  | 'BANNED'
  | 'UNEXPECTED_PEER'
  | 'REFUSED_BY_PEER'
  | 'CONNECTION_CLOSED'
  | 'SHUTTING_DOWN'
  | 'DUPLICATE';

const R = pb.DisconnectReason;

/** The Disconnect reason we send for each refusal (REFUSED_BY_PEER / CONNECTION_CLOSED send none). */
const REASON: Record<HandshakeErrorCode, number> = {
  HANDSHAKE_TIMEOUT: R.DISCONNECT_REASON_HANDSHAKE_TIMEOUT,
  BAD_HANDSHAKE_SIGNATURE: R.DISCONNECT_REASON_BAD_HANDSHAKE,
  BAD_HELLO: R.DISCONNECT_REASON_BAD_HANDSHAKE,
  WRONG_NETWORK: R.DISCONNECT_REASON_WRONG_NETWORK,
  WRONG_GENESIS: R.DISCONNECT_REASON_WRONG_GENESIS,
  INCOMPATIBLE_VERSION: R.DISCONNECT_REASON_INCOMPATIBLE_VERSION,
  MESSAGE_BEFORE_HANDSHAKE: R.DISCONNECT_REASON_BAD_HANDSHAKE,
  SELF_CONNECTION: R.DISCONNECT_REASON_SELF_CONNECTION,
  BANNED: R.DISCONNECT_REASON_BANNED,
  UNEXPECTED_PEER: R.DISCONNECT_REASON_REQUESTED,
  REFUSED_BY_PEER: R.DISCONNECT_REASON_UNSPECIFIED,
  CONNECTION_CLOSED: R.DISCONNECT_REASON_UNSPECIFIED,
  SHUTTING_DOWN: R.DISCONNECT_REASON_SHUTDOWN,
  DUPLICATE: R.DISCONNECT_REASON_DUPLICATE,
};

/**
 * The ErrorActionTable code a refusal is charged as, or undefined when the peer is not at
 * fault (it is us, it was refused by the peer, the socket just closed, or it is banned already).
 */
const PENALTY: Partial<Record<HandshakeErrorCode, string>> = {
  HANDSHAKE_TIMEOUT: 'HANDSHAKE_TIMEOUT',
  BAD_HANDSHAKE_SIGNATURE: 'BAD_HANDSHAKE_SIGNATURE',
  BAD_HELLO: 'BAD_HANDSHAKE_SIGNATURE',
  WRONG_NETWORK: 'WRONG_NETWORK',
  WRONG_GENESIS: 'WRONG_GENESIS',
  INCOMPATIBLE_VERSION: 'INCOMPATIBLE_VERSION',
  MESSAGE_BEFORE_HANDSHAKE: 'MESSAGE_BEFORE_HANDSHAKE',
};

/** A handshake that did not produce an authenticated session. */
export class HandshakeError extends Error {
  readonly code: HandshakeErrorCode;
  /** Set once the peer proved its key; penalties then go to the node id instead of the IP. */
  remoteNodeId: string | undefined;
  /** For REFUSED_BY_PEER: the DisconnectReason the peer sent. */
  readonly remoteReason: number | undefined;
  constructor(
    code: HandshakeErrorCode,
    message: string,
    opts: { remoteNodeId?: string; remoteReason?: number } = {},
  ) {
    super(`handshake: ${message}`);
    this.name = 'HandshakeError';
    this.code = code;
    this.remoteNodeId = opts.remoteNodeId;
    this.remoteReason = opts.remoteReason;
  }

  /** DisconnectReason to send before closing, or undefined to close silently. */
  get disconnectReason(): number | undefined {
    return this.code === 'REFUSED_BY_PEER' || this.code === 'CONNECTION_CLOSED'
      ? undefined
      : REASON[this.code];
  }

  /** ErrorActionTable code to charge, or undefined. */
  get penaltyCode(): string | undefined {
    return PENALTY[this.code];
  }
}
