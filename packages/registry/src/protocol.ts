import type { KindBodies, KindInputs, MessageKind } from '@tc/wire';

/** Each unary request kind and the kind of its response. */
export const RESPONSE_OF = {
  ping: 'pong',
  getPeers: 'peers',
  getChainTip: 'chainTip',
  getBlockHash: 'blockHash',
  getPendingTxs: 'pendingTxs',
  getTxs: 'txs',
} as const satisfies Partial<Record<MessageKind, MessageKind>>;

export type UnaryRequestKind = keyof typeof RESPONSE_OF;
/** Request kinds answered by a stream: BlockRangeChunk… then BlockRangeEnd. */
export type StreamRequestKind = 'getBlockRange';
export type RequestKind = UnaryRequestKind | StreamRequestKind;
export type ResponseKindOf<K extends UnaryRequestKind> = (typeof RESPONSE_OF)[K];
/** Decoded response body of a unary request kind. */
export type ResponseBody<K extends UnaryRequestKind> = KindBodies[ResponseKindOf<K>];
/** Body a handler returns for a unary request kind. */
export type ResponseInput<K extends UnaryRequestKind> = KindInputs[ResponseKindOf<K>];

/** A request to send: its kind and body (the registry assigns the request id). */
export interface RequestMessage<K extends RequestKind = RequestKind> {
  readonly kind: K;
  readonly body: KindInputs[K];
}

export const REQUEST_KINDS: ReadonlySet<string> = new Set<RequestKind>([
  'ping',
  'getPeers',
  'getChainTip',
  'getBlockHash',
  'getPendingTxs',
  'getTxs',
  'getBlockRange',
]);

/** Kinds that only ever answer a request id of ours (plus `error`). */
export const RESPONSE_KINDS: ReadonlySet<string> = new Set<MessageKind>([
  'pong',
  'peers',
  'chainTip',
  'blockHash',
  'pendingTxs',
  'txs',
  'blockRangeChunk',
  'blockRangeEnd',
  'error',
]);

export function isRequestKind(kind: string): kind is RequestKind {
  return REQUEST_KINDS.has(kind);
}
