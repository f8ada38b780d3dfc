import {
  encodeBlock,
  encodeFrame,
  encodeTransaction,
  MESSAGE_KINDS,
  type MessageKind,
  message,
  u64,
} from '@tc/wire';

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);
const tx = {
  version: 1,
  inputs: [{ prevTxid: bytes(32, 1), vout: 1, publicKey: bytes(32, 2), signature: bytes(64, 3) }],
  outputs: [{ value: u64(50_000), recipient: bytes(32, 4) }],
  nonce: u64(9),
};
const block = {
  header: {
    version: 1,
    height: u64(1234),
    prevHash: bytes(32, 5),
    merkleRoot: bytes(32, 6),
    timestampMs: u64(1_760_000_000_000),
    producerPublicKey: bytes(32, 7),
    leaderAttempt: 1,
  },
  txs: [tx, tx],
  producerSignature: bytes(64, 8),
};

const vote = {
  validatorIndex: 1,
  sourceEpoch: u64(4),
  sourceHash: bytes(32, 11),
  targetEpoch: u64(5),
  targetHash: bytes(32, 12),
  signature: bytes(64, 8),
};

const BODIES: Record<MessageKind, unknown> = {
  hello: {
    protocolVersion: 1,
    minProtocolVersion: 1,
    networkId: 'tc-devnet',
    genesisHash: bytes(32, 9),
    publicKey: bytes(32, 10),
    listenPort: 24100,
    agent: 'tc/0.1.0',
    tipHeight: u64(1234),
    tipHash: bytes(32, 11),
    nonce: bytes(32, 12),
    timestampMs: u64(1),
  },
  helloAck: { signature: bytes(64, 13) },
  ping: { nonce: u64(1), sentAtMs: u64(2) },
  pong: { nonce: u64(1), sentAtMs: u64(2) },
  disconnect: { reason: 2, message: 'duplicate' },
  error: { code: 3, message: 'rate limited' },
  getPeers: { max: 16 },
  peers: { peers: [{ host: '127.0.0.1', port: 24100, nodeId: bytes(32, 14), lastSeenMs: u64(3) }] },
  getChainTip: {},
  chainTip: { height: u64(1234), hash: bytes(32, 15) },
  getBlockHash: { height: u64(617) },
  blockHash: { height: u64(617), hash: bytes(32, 16) },
  getBlockRange: { startHeight: u64(1), count: 64 },
  blockRangeChunk: { blocks: [encodeBlock(block)] },
  blockRangeEnd: { sent: 1 },
  blockAnnounce: { block: encodeBlock(block) },
  txBroadcast: { txs: [tx] },
  getPendingTxs: { max: 100 },
  pendingTxs: { txs: [tx, tx] },
  txInventory: { txids: [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)] },
  getTxs: { txids: [new Uint8Array(32).fill(3)] },
  txs: { txs: [encodeTransaction(tx)] },
  blockInventory: { hash: bytes(32, 16), height: u64(9) },
  cancel: {},
  votes: { votes: [vote, { ...vote, validatorIndex: 2 }] },
  evidence: {
    items: [
      { votes: { first: vote, second: { ...vote, targetHash: bytes(32, 13) } } },
      {
        blocks: {
          first: block.header,
          firstSignature: bytes(64, 14),
          second: block.header,
          secondSignature: bytes(64, 15),
        },
      },
    ],
  },
};

/**
 * Seed inputs: one real frame of every kind as `encodeFrame` writes it, plus a few frames
 * back to back (what a socket delivers). Extra captured frames can be passed to the fuzzer.
 */
export function buildSeedCorpus(): Uint8Array[] {
  const frames = MESSAGE_KINDS.map((kind, i) => encodeFrame(message(kind, BODIES[kind] as never, i + 1)));
  const session = Buffer.concat([frames[0]!, frames[1]!, frames[2]!, frames[3]!, frames[8]!, frames[9]!]);
  return [...frames, session];
}
