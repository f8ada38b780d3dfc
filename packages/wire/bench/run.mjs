// @tc/wire benchmark (not a test): `pnpm --filter @tc/wire bench`.
// Every figure is a ratio against a baseline measured in this same run; absolute numbers
// are printed beside the ratios only for context (the machine is shared and noisy).
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { decodeBlock, encodeBlock, encodeFrame, FrameDecoder, message, pb, u64 } from '../dist/index.js';

const BUDGET_MS = Number(process.env.BENCH_MS ?? 1000);

function measure(fn) {
  for (let i = 0; i < 20; i++) fn(); // warm up
  let ops = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < BUDGET_MS) {
    for (let i = 0; i < 10; i++) fn();
    ops += 10;
    elapsed = performance.now() - start;
  }
  return (ops / elapsed) * 1000;
}

function makeTx(i) {
  return {
    version: 1,
    inputs: [
      { prevTxid: randomBytes(32), vout: i % 4, publicKey: randomBytes(32), signature: randomBytes(64) },
    ],
    outputs: [
      { value: u64(1_000_000 + i), recipient: randomBytes(32) },
      { value: u64(5_000 + i), recipient: randomBytes(32) },
    ],
    nonce: u64(i),
  };
}

function makeBlock(txCount) {
  return {
    header: {
      version: 1,
      height: u64(100_000),
      prevHash: randomBytes(32),
      merkleRoot: randomBytes(32),
      timestampMs: u64(Date.now()),
      producerPublicKey: randomBytes(32),
      leaderAttempt: 0,
    },
    txs: Array.from({ length: txCount }, (_, i) => makeTx(i)),
    producerSignature: randomBytes(64),
  };
}

// The JSON baseline carries the same data: bytes as hex, 64-bit integers as decimal strings.
const hex = (b) => Buffer.from(b).toString('hex');
const unhex = (s) => Buffer.from(s, 'hex');
const txToJson = (t) => ({
  version: t.version,
  nonce: t.nonce.toString(),
  inputs: t.inputs.map((i) => ({
    prevTxid: hex(i.prevTxid),
    vout: i.vout,
    publicKey: hex(i.publicKey),
    signature: hex(i.signature),
  })),
  outputs: t.outputs.map((o) => ({ value: o.value.toString(), recipient: hex(o.recipient) })),
});
const txFromJson = (t) => ({
  version: t.version,
  nonce: BigInt(t.nonce),
  inputs: t.inputs.map((i) => ({
    prevTxid: unhex(i.prevTxid),
    vout: i.vout,
    publicKey: unhex(i.publicKey),
    signature: unhex(i.signature),
  })),
  outputs: t.outputs.map((o) => ({ value: BigInt(o.value), recipient: unhex(o.recipient) })),
});
const blockToJson = (b) => ({
  header: {
    ...b.header,
    height: b.header.height.toString(),
    timestampMs: b.header.timestampMs.toString(),
    prevHash: hex(b.header.prevHash),
    merkleRoot: hex(b.header.merkleRoot),
    producerPublicKey: hex(b.header.producerPublicKey),
  },
  txs: b.txs.map(txToJson),
  producerSignature: hex(b.producerSignature),
});
const blockFromJson = (j) => ({
  header: {
    ...j.header,
    height: BigInt(j.header.height),
    timestampMs: BigInt(j.header.timestampMs),
    prevHash: unhex(j.header.prevHash),
    merkleRoot: unhex(j.header.merkleRoot),
    producerPublicKey: unhex(j.header.producerPublicKey),
  },
  txs: j.txs.map(txFromJson),
  producerSignature: unhex(j.producerSignature),
});

const rows = [];
const fmt = (n) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1));

for (const txCount of [1, 100, 2000]) {
  const block = makeBlock(txCount);
  // No kind nests a Block any more (blockAnnounce and blockRangeChunk carry its bytes), so the
  // block is encoded, then framed; and the frame decoded, then the block: the same work as a
  // nested message, on both sides.
  const frameOf = (b) => encodeFrame(message('blockAnnounce', { block: encodeBlock(b) }, 1));
  const frame = frameOf(block);
  const json = JSON.stringify(blockToJson(block));
  const encodeOps = measure(() => frameOf(block));
  const jsonEncodeOps = measure(() => JSON.stringify(blockToJson(block)));
  const decodeOps = measure(() => {
    for (const f of new FrameDecoder().push(frame)) if (f.kind === 'blockAnnounce') decodeBlock(f.body.block);
  });
  const jsonDecodeOps = measure(() => blockFromJson(JSON.parse(json)));
  rows.push([`encode+frame, ${txCount}-tx block`, encodeOps, jsonEncodeOps, 'JSON.stringify (hex bytes)']);
  rows.push([`decode, ${txCount}-tx block`, decodeOps, jsonDecodeOps, 'JSON.parse (hex bytes)']);
  rows.push([`size, ${txCount}-tx block (bytes)`, frame.length, Buffer.byteLength(json), 'JSON size', true]);
}

// 200-byte messages through the streaming decoder vs a bare length-prefix splitter.
const small = encodeFrame(message('error', { code: 1, message: 'x'.repeat(190) }));
const COUNT = 20_000;
const stream = Buffer.concat(Array.from({ length: COUNT }, () => small));
const chunks = [];
for (let i = 0; i < stream.length; i += 65_536) chunks.push(stream.subarray(i, i + 65_536));
const decoderMsgs =
  measure(() => {
    const decoder = new FrameDecoder();
    for (const chunk of chunks) for (const _ of decoder.push(chunk));
  }) * COUNT;
const splitterMsgs =
  measure(() => {
    let pending = Buffer.alloc(0);
    let n = 0;
    for (const chunk of chunks) {
      let buf = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      let off = 0;
      while (buf.length - off >= 4) {
        const len = buf.readUInt32BE(off);
        if (buf.length - off - 4 < len) break;
        buf.subarray(off + 4, off + 4 + len);
        off += 4 + len;
        n++;
      }
      pending = buf.subarray(off);
      buf = null;
    }
    if (n !== COUNT) throw new Error('splitter lost frames');
  }) * COUNT;
rows.push([
  `decoder, ${small.length}-byte frames (msgs/s)`,
  decoderMsgs,
  splitterMsgs,
  'bare length-prefix splitter',
]);
// Second baseline: protobuf decoding alone of the same, already split envelopes. The gap
// between the two ratios is the cost of framing, limit checks and chunk handling.
const envelope = small.subarray(4);
const rawDecodeMsgs =
  measure(() => {
    for (let i = 0; i < COUNT; i++) pb.Envelope.decode(envelope);
  }) * COUNT;
rows.push([
  `decoder, ${small.length}-byte frames (msgs/s)`,
  decoderMsgs,
  rawDecodeMsgs,
  'pb.Envelope.decode alone, pre-split',
]);

console.log(
  `@tc/wire benchmark — ${cpus()[0]?.model ?? 'cpu'} ×${cpus().length}, Node ${process.version}, ${BUDGET_MS} ms per figure`,
);
console.log('| what | tc | baseline | ratio tc/baseline | baseline is |');
console.log('|---|---:|---:|---:|---|');
for (const [what, ours, base, baseName, isSize] of rows) {
  const unit = isSize ? '' : '/s';
  console.log(
    `| ${what} | ${fmt(ours)}${unit} | ${fmt(base)}${unit} | ${(ours / base).toFixed(2)}× | ${baseName} |`,
  );
}
