// Regenerates test/vectors/*.json from the built package: `node test/vectors/generate.mjs`.
// The committed JSON is the reference; test/vectors.test.ts recomputes every value with an
// independent byte-by-byte implementation, so a change here must be a deliberate protocol change.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import * as c from '../../dist/internal.js';

const h = (n, len) => Buffer.alloc(len, n).toString('hex');
const seq = (len, start = 0) =>
  Buffer.from(Array.from({ length: len }, (_, i) => (start + i) & 0xff)).toString('hex');
const dir = new URL('./', import.meta.url);
const write = (name, data) => writeFileSync(new URL(name, dir), `${JSON.stringify(data, null, 2)}\n`);

const headers = [
  {
    version: 1,
    height: 0,
    prevHash: h(0, 32),
    merkleRoot: h(0, 32),
    timestampMs: 0,
    producerPublicKey: h(0, 32),
    leaderAttempt: 0,
  },
  {
    version: 1,
    height: 1,
    prevHash: seq(32),
    merkleRoot: seq(32, 32),
    timestampMs: 1_700_000_001_000,
    producerPublicKey: seq(32, 64),
    leaderAttempt: 3,
  },
  {
    version: 0xffffffff,
    height: Number.MAX_SAFE_INTEGER,
    prevHash: h(0xff, 32),
    merkleRoot: h(0xee, 32),
    timestampMs: Number.MAX_SAFE_INTEGER,
    producerPublicKey: h(0xdd, 32),
    leaderAttempt: 0xffffffff,
  },
];
write(
  'header-hash.json',
  headers.map((x) => {
    const data = {
      ...x,
      prevHash: c.fromHex(x.prevHash),
      merkleRoot: c.fromHex(x.merkleRoot),
      producerPublicKey: c.fromHex(x.producerPublicKey),
    };
    return { header: x, canonicalBytes: c.toHex(c.headerBytes(data)), hash: c.toHex(c.headerHash(data)) };
  }),
);

const txs = [
  { version: 1, nonce: '0', inputs: [], outputs: [] },
  { version: 1, nonce: '7', inputs: [], outputs: [{ value: '5000000000', recipient: seq(32) }] },
  {
    version: 1,
    nonce: '0',
    inputs: [{ prevTxid: seq(32, 100), vout: 1, publicKey: seq(32, 200), signature: h(0xaa, 64) }],
    outputs: [{ value: '1', recipient: h(0x11, 32) }],
  },
  {
    version: 1,
    nonce: '18446744073709551615',
    inputs: [
      { prevTxid: h(1, 32), vout: 0, publicKey: h(2, 32), signature: h(3, 64) },
      { prevTxid: h(4, 32), vout: 0xffffffff, publicKey: h(5, 32), signature: h(6, 64) },
    ],
    outputs: [
      { value: '18446744073709551615', recipient: h(7, 32) },
      { value: '42', recipient: h(8, 32) },
    ],
  },
];
const toTx = (t) => ({
  version: t.version,
  nonce: BigInt(t.nonce),
  inputs: t.inputs.map((i) => ({
    prevTxid: c.fromHex(i.prevTxid),
    vout: i.vout,
    publicKey: c.fromHex(i.publicKey),
    signature: c.fromHex(i.signature),
  })),
  outputs: t.outputs.map((o) => ({ value: BigInt(o.value), recipient: c.fromHex(o.recipient) })),
});
write(
  'txid.json',
  txs.map((t) => ({
    tx: t,
    canonicalBytes: c.toHex(c.txCanonicalBytes(toTx(t))),
    txid: c.toHex(c.txid(toTx(t))),
    size: c.txSize(toTx(t)),
  })),
);

const leaves = Array.from({ length: 5 }, (_, i) => c.toHex(c.sha256(Buffer.from(`leaf-${i}`))));
write(
  'merkle-root.json',
  [1, 2, 3, 4, 5].map((n) => ({
    txids: leaves.slice(0, n),
    root: c.toHex(c.merkleRoot(leaves.slice(0, n).map((l) => c.fromHex(l)))),
  })),
);

const keys = c.keyPairFromSeed(c.fromHex(seq(32)));
const txid = c.fromHex(seq(32, 50));
const inputMsg = c.inputSigningMessage('tc-devnet', txid, 2);
const blockHash = c.fromHex(seq(32, 150));
const blockMsg = c.producerSigningMessage('tc-devnet', blockHash);
write('signatures.json', {
  seed: seq(32),
  publicKey: c.toHex(keys.publicKey),
  address: c.toHex(c.addressOf(keys.publicKey)),
  input: {
    networkId: 'tc-devnet',
    txid: c.toHex(txid),
    inputIndex: 2,
    message: c.toHex(inputMsg),
    signature: c.toHex(c.signMessage(keys, inputMsg)),
  },
  block: {
    networkId: 'tc-devnet',
    headerHash: c.toHex(blockHash),
    message: c.toHex(blockMsg),
    signature: c.toHex(c.signMessage(keys, blockMsg)),
  },
});
// Signature validity (README 2.4): where tc's rule (libsodium) and a plain RFC 8032 verifier
// such as node:crypto (OpenSSL) disagree, the vector says so in `acceptedByOpenssl`.
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const leBytes = (n, len) =>
  Buffer.from(Array.from({ length: len }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn)));
const leInt = (b) => b.reduceRight((acc, x) => (acc << 8n) | BigInt(x), 0n);
const validSig = Buffer.from(c.signMessage(keys, inputMsg));
const identity = leBytes(1n, 32);
// (0, -1): the point of order 2, y = p - 1.
const order2 = leBytes(2n ** 255n - 20n, 32);
// S = 0 and R = A: k·A = A for an odd k = SHA-512(R ‖ A ‖ M) mod L, so [S]B - [k]A = -A = A = R.
let order2Msg;
for (let i = 0; i < 256 && order2Msg === undefined; i++) {
  const m = Buffer.from(`tc order-2 ${i}`);
  const k = leInt(createHash('sha512').update(order2).update(order2).update(m).digest()) % L;
  if (k % 2n === 1n) order2Msg = m;
}
const sPlusL = Buffer.concat([validSig.subarray(0, 32), leBytes(leInt(validSig.subarray(32)) + L, 32)]);
const flipped = Buffer.from(inputMsg);
flipped[flipped.length - 1] ^= 1;
const hex = (b) => Buffer.from(b).toString('hex');
write('signature-validity.json', [
  {
    case: 'valid (signatures.json input)',
    publicKey: hex(keys.publicKey),
    message: hex(inputMsg),
    signature: hex(validSig),
    valid: true,
    acceptedByOpenssl: true,
  },
  {
    case: 'message changed in its last byte',
    publicKey: hex(keys.publicKey),
    message: hex(flipped),
    signature: hex(validSig),
    valid: false,
    acceptedByOpenssl: false,
  },
  {
    case: 'S + L (non-canonical S)',
    publicKey: hex(keys.publicKey),
    message: hex(inputMsg),
    signature: hex(sPlusL),
    valid: false,
    acceptedByOpenssl: false,
  },
  {
    case: 'identity key, R = identity, S = 0 (holds for any message)',
    publicKey: hex(identity),
    message: hex(Buffer.from('tc')),
    signature: hex(Buffer.concat([identity, Buffer.alloc(32)])),
    valid: false,
    acceptedByOpenssl: true,
  },
  {
    case: 'key of order 2, R = key, S = 0, odd k',
    publicKey: hex(order2),
    message: hex(order2Msg),
    signature: hex(Buffer.concat([order2, Buffer.alloc(32)])),
    valid: false,
    acceptedByOpenssl: true,
  },
]);

// ---- Finality (README 15): vote bytes and signatures, and certificate verdicts.
{
  const voteKeys = [1, 2, 3, 4].map((n) => c.keyPairFromSeed(new Uint8Array(32).fill(n)));
  const networkId = 'tc-vectors';
  const genesis = c.resolveGenesisConfig({
    networkId,
    validators: voteKeys.map((k) => c.toHex(k.publicKey)),
    blockReward: 1n,
    timestampMs: 0,
  });
  // A checkpoint is (epoch, hash): epoch 2·h is the block at height h, 2·h + 1 its confirmation.
  const cp = (epoch, fill) => ({ epoch, hash: new Uint8Array(32).fill(fill) });
  const links = [
    [0, cp(0, 0x00), cp(2, 0x11)],
    [3, cp(14, 0x77), cp(15, 0x77)],
    [1, cp(4, 0x22), cp(9_007_199_254_740_991, 0xff)],
  ];
  const json = (x) => ({ epoch: x.epoch, hash: c.toHex(x.hash) });
  const voteVectors = links.map(([i, source, target]) => {
    const vote = c.signVote(networkId, new c.Signer(voteKeys[i]), { validatorIndex: i, source, target });
    return {
      validatorIndex: i,
      source: json(source),
      target: json(target),
      message: c.toHex(c.voteSigningMessage(networkId, source, target)),
      signature: c.toHex(vote.signature),
    };
  });
  // Block 41's round 0 and its confirmation round.
  const source = cp(82, 0x41);
  const target = cp(83, 0x41);
  const sig = (i, s = source, t = target) =>
    c.toHex(
      c.signVote(networkId, new c.Signer(voteKeys[i]), { validatorIndex: i, source: s, target: t }).signature,
    );
  const certOf = (votes, s = source, t = target) => ({ source: json(s), target: json(t), votes });
  const v = (i, signature = sig(i)) => ({ validatorIndex: i, signature });
  const far = cp(84, 0x43);
  const otherBlock = cp(83, 0x42);
  const onLink = (s, t) => [0, 1, 2].map((i) => v(i, sig(i, s, t)));
  const certificates = [
    { case: 'three of four validators (a quorum)', certificate: certOf([v(0), v(1), v(3)]), valid: true },
    { case: 'all four', certificate: certOf([v(0), v(1), v(2), v(3)]), valid: true },
    {
      case: "from a confirmation round to the child's round 0",
      certificate: certOf(onLink(target, far), target, far),
      valid: true,
    },
    { case: 'two of four (below the quorum of 3)', certificate: certOf([v(0), v(1)]), valid: false },
    { case: 'a validator twice', certificate: certOf([v(0), v(1), v(1)]), valid: false },
    {
      case: 'a signature over another link',
      certificate: certOf([v(0), v(1), v(2, sig(2, source, far))]),
      valid: false,
    },
    {
      case: 'target not the next epoch',
      certificate: certOf(onLink(source, far), source, far),
      valid: false,
    },
    {
      case: 'a confirmation round of another block',
      certificate: certOf(onLink(source, otherBlock), source, otherBlock),
      valid: false,
    },
    {
      case: 'an index outside the validator set',
      certificate: certOf([v(0), v(1), { validatorIndex: 4, signature: sig(2) }]),
      valid: false,
    },
  ];
  // The verdicts written are the implementation's own: a case that disagrees is a bug here.
  const inline = new c.InlineValidator();
  for (const x of certificates) {
    const cert = {
      source: { epoch: x.certificate.source.epoch, hash: c.fromHex(x.certificate.source.hash) },
      target: { epoch: x.certificate.target.epoch, hash: c.fromHex(x.certificate.target.hash) },
      votes: x.certificate.votes.map((v) => ({
        validatorIndex: v.validatorIndex,
        signature: c.fromHex(v.signature),
      })),
    };
    const error = await c.certificateError(genesis, cert, (items) => inline.verifySignatures(items));
    if ((error === undefined) !== x.valid) throw new Error(`certificate vector "${x.case}": ${error}`);
  }
  write('votes.json', {
    networkId,
    validators: voteKeys.map((k) => c.toHex(k.publicKey)),
    quorum: c.quorumOf(4),
    votes: voteVectors,
    certificates,
  });
}
console.log('vectors written');
