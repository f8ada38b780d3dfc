import {
  type KindBodies,
  type KindInputs,
  type KnownFrame,
  MAX_EVIDENCE_PER_MESSAGE,
  MAX_TXIDS_PER_MESSAGE,
  MAX_VOTES_PER_MESSAGE,
  type MessageKind,
} from '@tc/wire';
import type { RateQuota } from './rate-limiter/gcra.js';

/**
 * One descriptor per message kind, as Lodestar keeps one per reqresp method: what the kind is
 * (a request answered by one response or by a stream, a response, gossip, or part of the
 * connection's own control), its inbound rate quota and what one unit of it costs, and its size
 * limit is @tc/wire's DEFAULT_KIND_LIMITS, which the decoder enforces. Every table the registry
 * uses is derived from it below.
 */
export interface KindDescriptor {
  readonly role: 'request' | 'response' | 'gossip' | 'control';
  /** A unary request: the kind of its one response. */
  readonly response?: MessageKind;
  /** A request answered by a stream: its chunk kind and its end marker. */
  readonly stream?: { readonly chunk: MessageKind; readonly end: MessageKind };
  /**
   * The per-peer inbound quota (requests and gossip; responses are bounded by our own
   * in-flight limits, handshake kinds by the handshake). Gossip floors a node may raise.
   */
  readonly quota?: RateQuota;
  /** The quota's unit: how many a message counts for (default 1 per message). */
  readonly cost?: (frame: KnownFrame) => number;
}

const atLeast1 = (n: number) => Math.max(1, n);

export const PROTOCOL = {
  hello: { role: 'control' },
  helloAck: { role: 'control' },
  disconnect: { role: 'control' },
  error: { role: 'response' },
  // We ping every 10 s; 1/s with a burst of 5 leaves room for a peer's catch-up pings.
  ping: { role: 'request', response: 'pong', quota: { ratePerSec: 1, burst: 5 } },
  pong: { role: 'response' },
  // Peer exchange is slow by nature: 1 per 12 s, burst 3.
  getPeers: { role: 'request', response: 'peers', quota: { ratePerSec: 1 / 12, burst: 3 } },
  peers: { role: 'response' },
  // Tip polling plus fork checks. A chainTip with request id 0 is a tip announcement.
  getChainTip: { role: 'request', response: 'chainTip', quota: { ratePerSec: 2, burst: 10 } },
  chainTip: { role: 'response', quota: { ratePerSec: 20, burst: 50 } },
  // Fork resolution bisects with bursts of hash lookups.
  getBlockHash: { role: 'request', response: 'blockHash', quota: { ratePerSec: 20, burst: 100 } },
  blockHash: { role: 'response' },
  // Cost = blocks asked for (a caller clamps it to what it serves; above the burst never fits).
  getBlockRange: {
    role: 'request',
    stream: { chunk: 'blockRangeChunk', end: 'blockRangeEnd' },
    quota: { ratePerSec: 200, burst: 1000 },
    cost: (f) => (f.kind === 'getBlockRange' ? atLeast1(f.body.count) : 1),
  },
  blockRangeChunk: { role: 'response' },
  blockRangeEnd: { role: 'response' },
  // Mempool sync after connect and occasionally after.
  getPendingTxs: { role: 'request', response: 'pendingTxs', quota: { ratePerSec: 0.5, burst: 5 } },
  pendingTxs: { role: 'response' },
  // Cost = txids asked for.
  getTxs: {
    role: 'request',
    response: 'txs',
    quota: { ratePerSec: 1_000, burst: MAX_TXIDS_PER_MESSAGE },
    cost: (f) => (f.kind === 'getTxs' ? atLeast1(f.body.txids.length) : 1),
  },
  txs: { role: 'response' },
  // Blocks are seconds apart; forks and re-announcements make small bursts.
  blockAnnounce: { role: 'gossip', quota: { ratePerSec: 2, burst: 10 } },
  // Like blockAnnounce (a block is announced either way); sized from the slot by consensus.
  blockInventory: { role: 'gossip', quota: { ratePerSec: 2, burst: 10 } },
  // Cost = transactions carried. These floors a node sizes from its chain's capacity.
  txBroadcast: {
    role: 'gossip',
    quota: { ratePerSec: 100, burst: 500 },
    cost: (f) => (f.kind === 'txBroadcast' ? atLeast1(f.body.txs.length) : 1),
  },
  // Cost = txids announced.
  txInventory: {
    role: 'gossip',
    quota: { ratePerSec: 1_000, burst: MAX_TXIDS_PER_MESSAGE },
    cost: (f) => (f.kind === 'txInventory' ? atLeast1(f.body.txids.length) : 1),
  },
  // Cost = votes carried; floors a node sizes from its validator set and slot.
  votes: {
    role: 'gossip',
    quota: { ratePerSec: 200, burst: MAX_VOTES_PER_MESSAGE },
    cost: (f) => (f.kind === 'votes' ? atLeast1(f.body.votes.length) : 1),
  },
  // Cost = pieces of evidence. Evidence is rare: any honest flow fits.
  evidence: {
    role: 'gossip',
    quota: { ratePerSec: 2, burst: MAX_EVIDENCE_PER_MESSAGE },
    cost: (f) => (f.kind === 'evidence' ? atLeast1(f.body.items.length) : 1),
  },
  // One per stream given up: never more than the getBlockRange requests the peer may send.
  cancel: { role: 'control', quota: { ratePerSec: 20, burst: 64 } },
} as const satisfies Record<MessageKind, KindDescriptor>;

type Protocol = typeof PROTOCOL;

/** Unary request kinds (one response each). */
export type UnaryRequestKind = {
  [K in MessageKind]: Protocol[K] extends { role: 'request'; response: MessageKind } ? K : never;
}[MessageKind];
/** Request kinds answered by a stream: BlockRangeChunk… then BlockRangeEnd. */
export type StreamRequestKind = {
  [K in MessageKind]: Protocol[K] extends { role: 'request'; stream: object } ? K : never;
}[MessageKind];
export type RequestKind = UnaryRequestKind | StreamRequestKind;
export type ResponseKindOf<K extends UnaryRequestKind> = Protocol[K]['response'];
/** Decoded response body of a unary request kind. */
export type ResponseBody<K extends UnaryRequestKind> = KindBodies[ResponseKindOf<K>];
/** Body a handler returns for a unary request kind. */
export type ResponseInput<K extends UnaryRequestKind> = KindInputs[ResponseKindOf<K>];

/** A request to send: its kind and body (the registry assigns the request id). */
export interface RequestMessage<K extends RequestKind = RequestKind> {
  readonly kind: K;
  readonly body: KindInputs[K];
}

const entries = Object.entries(PROTOCOL) as [MessageKind, KindDescriptor][];
const kindsWhere = (test: (d: KindDescriptor) => boolean) =>
  new Set(entries.filter(([, d]) => test(d)).map(([k]) => k)) as ReadonlySet<string>;

/** Each unary request kind and the kind of its response. */
export const RESPONSE_OF = Object.fromEntries(
  entries.filter(([, d]) => d.response).map(([k, d]) => [k, d.response]),
) as { readonly [K in UnaryRequestKind]: ResponseKindOf<K> };

export const REQUEST_KINDS = kindsWhere((d) => d.role === 'request');
/** Kinds that only ever answer a request id of ours (plus `error`; chainTip also announces). */
export const RESPONSE_KINDS = kindsWhere((d) => d.role === 'response');
/** Gossip kinds: one-way, rate-limited, handed to the application. */
export const GOSSIP_KINDS = kindsWhere((d) => d.role === 'gossip');

/** The chunk and end kinds of the stream request kind. */
export const STREAM_KINDS = PROTOCOL.getBlockRange.stream;

/**
 * Per-kind defaults for inbound messages a peer may send unprompted (requests, gossip, tip
 * announcements, cancels), from the descriptors above, where each quota is explained. Response
 * kinds are bounded by our own in-flight limits and handshake kinds by the handshake.
 */
export const DEFAULT_RATE_QUOTAS: Readonly<Record<string, RateQuota>> = Object.freeze(
  Object.fromEntries(entries.flatMap(([k, d]) => (d.quota ? [[k, d.quota] as const] : []))),
);

/** How many units of its quota a message costs (1 unless its descriptor counts items). */
export function costOf(frame: KnownFrame): number {
  return (PROTOCOL[frame.kind as MessageKind] as KindDescriptor | undefined)?.cost?.(frame) ?? 1;
}

export function isRequestKind(kind: string): kind is RequestKind {
  return REQUEST_KINDS.has(kind);
}
