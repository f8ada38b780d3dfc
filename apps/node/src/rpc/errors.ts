/**
 * JSON-RPC error codes. The -327xx/-326xx ones are the JSON-RPC 2.0 standard; -32001..-32005
 * are this server's transport-level errors (the range the spec reserves for implementations);
 * the small negative ones are application errors, numbered like bitcoind's where one matches.
 */
export const RPC_ERRORS = {
  /** The body is not valid JSON. */
  PARSE_ERROR: -32700,
  /** Valid JSON but not a JSON-RPC 2.0 request (or an empty/oversize batch). */
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  /** Wrong number, type or range of parameters. `data` lists the problems. */
  INVALID_PARAMS: -32602,
  /** A bug or an unexpected failure; the details are logged, not returned. */
  INTERNAL_ERROR: -32603,
  /** Missing or wrong `Authorization: Bearer` token (HTTP 401). */
  UNAUTHORIZED: -32001,
  /** The call did not finish within rpc.requestTimeoutMs. */
  TIMEOUT: -32002,
  /** The request body is larger than rpc.maxBodyBytes (HTTP 413). */
  BODY_TOO_LARGE: -32003,
  /** The node is shutting down. */
  SHUTTING_DOWN: -32004,
  /** More than rpc.maxInflight calls are executing. Retry later. */
  OVERLOADED: -32005,
  /** Application: any other failure of a valid request. */
  MISC_ERROR: -1,
  /** Application: no such block, transaction, peer or ban entry. */
  NOT_FOUND: -5,
  /** Application: a parameter is well-formed but out of range (e.g. a height above the tip). */
  INVALID_PARAMETER: -8,
  /** Application: not connected to that peer / no peers. */
  NOT_CONNECTED: -9,
  /** Application: addnode of a node already added. */
  NODE_ALREADY_ADDED: -23,
  /** Application: addnode remove / disconnectnode of a node not added or connected. */
  NODE_NOT_ADDED: -24,
  /** Application: the transaction was rejected (invalid, double spend, ...). Mempool full or busy is -32005, retryable. */
  TX_REJECTED: -25,
  /** Application: the transaction is already in the chain or the mempool. */
  TX_ALREADY_KNOWN: -27,
  /** Application: the node is starting and cannot answer yet. */
  IN_WARMUP: -28,
} as const;

export type RpcErrorName = keyof typeof RPC_ERRORS;

/**
 * An error with a JSON-RPC code. NodeApi implementations throw it for expected failures
 * (`new RpcError(RPC_ERRORS.NOT_FOUND, 'block not found')`); the message and `data` reach the
 * client. Any other error thrown by a handler becomes -32603 with a generic message.
 */
export class RpcError extends Error {
  readonly code: number;
  readonly data: unknown;
  constructor(code: number, message: string, data?: unknown) {
    super(message);
    this.name = 'RpcError';
    this.code = code;
    this.data = data;
  }
}

/** The `error` member of a JSON-RPC response. */
export interface RpcErrorObject {
  readonly code: number;
  readonly message: string;
  readonly data?: unknown;
}

export function errorObject(code: number, message: string, data?: unknown): RpcErrorObject {
  return data === undefined ? { code, message } : { code, message, data };
}
