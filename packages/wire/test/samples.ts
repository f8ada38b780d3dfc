import { encodeBlock, encodeTransaction, type KindInputs, type MessageKind, u64 } from '../src/index.js';

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

export const sampleTx: KindInputs['txBroadcast']['txs'] extends (infer T)[] | null | undefined ? T : never = {
  version: 1,
  inputs: [{ prevTxid: bytes(32, 1), vout: 3, publicKey: bytes(32, 2), signature: bytes(64, 3) }],
  outputs: [
    { value: u64(2n ** 63n + 5n), recipient: bytes(32, 4) },
    { value: u64(1), recipient: bytes(32, 5) },
  ],
  nonce: u64(77),
};

export const sampleBlock = {
  header: {
    version: 1,
    height: u64(2n ** 53n + 1n),
    prevHash: bytes(32, 6),
    merkleRoot: bytes(32, 7),
    timestampMs: u64(1_760_000_000_000),
    producerPublicKey: bytes(32, 8),
    leaderAttempt: 2,
  },
  txs: [sampleTx, sampleTx],
  producerSignature: bytes(64, 9),
};

/** One representative body per kind, with non-default values in every field. */
export const sampleVote = {
  validatorIndex: 1,
  sourceEpoch: u64(7),
  sourceHash: bytes(32, 4),
  targetEpoch: u64(8),
  targetHash: bytes(32, 5),
  signature: bytes(64, 6),
};

export const SAMPLES: { [K in MessageKind]: KindInputs[K] } = {
  hello: {
    protocolVersion: 1,
    minProtocolVersion: 1,
    networkId: 'tc-devnet',
    genesisHash: bytes(32, 10),
    publicKey: bytes(32, 11),
    listenPort: 24100,
    agent: 'tc/0.1.0',
    tipHeight: u64(123_456),
    tipHash: bytes(32, 12),
    nonce: bytes(32, 13),
    timestampMs: u64(1_760_000_000_123),
  },
  helloAck: { signature: bytes(64, 14) },
  ping: { nonce: u64(2n ** 64n - 1n), sentAtMs: u64(99) },
  pong: { nonce: u64(42), sentAtMs: u64(100) },
  disconnect: { reason: 2, message: 'duplicate connection' },
  error: { code: 429, message: 'rate limited: getBlockRange' },
  getPeers: { max: 32 },
  peers: { peers: [{ host: '127.0.0.1', port: 24100, nodeId: bytes(32, 15), lastSeenMs: u64(5) }] },
  getChainTip: {},
  chainTip: { height: u64(1000), hash: bytes(32, 16) },
  getBlockHash: { height: u64(500) },
  blockHash: { height: u64(500), hash: bytes(32, 17) },
  getBlockRange: { startHeight: u64(64), count: 64 },
  blockRangeChunk: {
    blocks: [encodeBlock(sampleBlock)],
    certificates: [
      {
        sourceEpoch: u64(7),
        sourceHash: new Uint8Array(32).fill(4),
        targetEpoch: u64(8),
        targetHash: new Uint8Array(32).fill(5),
        votes: [{ validatorIndex: 2, signature: new Uint8Array(64).fill(6) }],
      },
    ],
  },
  blockRangeEnd: { sent: 64 },
  blockAnnounce: { block: encodeBlock(sampleBlock) },
  txBroadcast: { txs: [sampleTx] },
  getPendingTxs: { max: 100 },
  pendingTxs: { txs: [sampleTx, sampleTx] },
  txInventory: { txids: [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)] },
  getTxs: { txids: [new Uint8Array(32).fill(3)] },
  txs: { txs: [encodeTransaction(sampleTx)] },
  votes: { votes: [sampleVote] },
  blockInventory: { hash: bytes(32, 3), height: u64(12) },
  cancel: {},
  evidence: {
    items: [
      { votes: { first: sampleVote, second: { ...sampleVote, targetHash: new Uint8Array(32).fill(9) } } },
      {
        blocks: {
          first: sampleBlock.header,
          firstSignature: new Uint8Array(64).fill(1),
          second: { ...sampleBlock.header, merkleRoot: new Uint8Array(32).fill(8) },
          secondSignature: new Uint8Array(64).fill(2),
        },
      },
    ],
  },
};
