import type { tc } from './gen/wire.js';

/**
 * Every Envelope body kind, with its protobuf field number. The order and numbers
 * mirror `proto/tc/v1/wire.proto`; a test checks the two never drift apart.
 */
export const KIND_FIELD_NUMBERS = {
  hello: 10,
  helloAck: 11,
  ping: 12,
  pong: 13,
  disconnect: 14,
  error: 15,
  getPeers: 16,
  peers: 17,
  getChainTip: 18,
  chainTip: 19,
  getBlockHash: 20,
  blockHash: 21,
  getBlockRange: 22,
  blockRangeChunk: 23,
  blockRangeEnd: 24,
  blockAnnounce: 25,
  txBroadcast: 26,
  getPendingTxs: 27,
  pendingTxs: 28,
  txInventory: 29,
  getTxs: 30,
  txs: 31,
  votes: 32,
  evidence: 33,
  blockInventory: 34,
  cancel: 35,
} as const;

export type MessageKind = keyof typeof KIND_FIELD_NUMBERS;

// Compile-time proof that the table above names exactly the generated oneof cases.
type GeneratedKind = NonNullable<tc.v1.Envelope['body']>;
const _sameKinds: [MessageKind] extends [GeneratedKind]
  ? [GeneratedKind] extends [MessageKind]
    ? true
    : never
  : never = true;
void _sameKinds;

export const MESSAGE_KINDS = Object.keys(KIND_FIELD_NUMBERS) as MessageKind[];

const kindByField = new Map<number, MessageKind>(
  MESSAGE_KINDS.map((kind) => [KIND_FIELD_NUMBERS[kind], kind] as const),
);

/** The kind carried in Envelope field `fieldNumber`, or undefined for a kind this build does not know. */
export function kindOfField(fieldNumber: number): MessageKind | undefined {
  return kindByField.get(fieldNumber);
}

export function isMessageKind(value: string): value is MessageKind {
  return Object.hasOwn(KIND_FIELD_NUMBERS, value);
}

/** Decoded body type of each kind (fields carry their proto3 defaults when absent). */
export interface KindBodies {
  hello: tc.v1.Hello;
  helloAck: tc.v1.HelloAck;
  ping: tc.v1.Ping;
  pong: tc.v1.Pong;
  disconnect: tc.v1.Disconnect;
  error: tc.v1.ErrorReply;
  getPeers: tc.v1.GetPeers;
  peers: tc.v1.Peers;
  getChainTip: tc.v1.GetChainTip;
  chainTip: tc.v1.ChainTip;
  getBlockHash: tc.v1.GetBlockHash;
  blockHash: tc.v1.BlockHash;
  getBlockRange: tc.v1.GetBlockRange;
  blockRangeChunk: tc.v1.BlockRangeChunk;
  blockRangeEnd: tc.v1.BlockRangeEnd;
  blockAnnounce: tc.v1.BlockAnnounce;
  txBroadcast: tc.v1.TxBroadcast;
  getPendingTxs: tc.v1.GetPendingTxs;
  pendingTxs: tc.v1.PendingTxs;
  txInventory: tc.v1.TxInventory;
  getTxs: tc.v1.GetTxs;
  txs: tc.v1.Txs;
  votes: tc.v1.Votes;
  evidence: tc.v1.EvidenceBatch;
  blockInventory: tc.v1.BlockInventory;
  cancel: tc.v1.Cancel;
}

/** Body type accepted by the encoder for each kind (every field optional, as in proto3). */
export type KindInputs = {
  [K in MessageKind]: NonNullable<tc.v1.Envelope.$Properties[K]>;
};
