import { createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  certificateError,
  fromHex,
  InlineValidator,
  quorumOf,
  resolveGenesisConfig,
  toHex,
  verifySignature,
  voteSigningMessage,
} from '../../src/internal.js';

interface CheckpointJson {
  epoch: number;
  hash: string;
}
interface VotesFile {
  networkId: string;
  validators: string[];
  quorum: number;
  votes: {
    validatorIndex: number;
    source: CheckpointJson;
    target: CheckpointJson;
    message: string;
    signature: string;
  }[];
  certificates: {
    case: string;
    certificate: {
      source: CheckpointJson;
      target: CheckpointJson;
      votes: { validatorIndex: number; signature: string }[];
    };
    valid: boolean;
  }[];
}

const file = JSON.parse(readFileSync(new URL('../vectors/votes.json', import.meta.url), 'utf8')) as VotesFile;
const hx = (s: string) => Buffer.from(s, 'hex');
const u64 = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
};
const cp = (c: CheckpointJson) => ({ epoch: c.epoch, hash: fromHex(c.hash) });

/** README 15.2, written out byte by byte with Buffer primitives (independent of src/). */
function refVoteMessage(networkId: string, source: CheckpointJson, target: CheckpointJson): Buffer {
  const net = Buffer.from(networkId, 'utf8');
  return Buffer.concat([
    Buffer.from('tc/vote/v1', 'ascii'),
    Buffer.of(net.length),
    net,
    u64(source.epoch),
    hx(source.hash),
    u64(target.epoch),
    hx(target.hash),
  ]);
}

describe('finality vectors (README 15.2, 15.3)', () => {
  const genesis = resolveGenesisConfig({
    networkId: file.networkId,
    validators: file.validators,
    blockReward: 1n,
    timestampMs: 0,
  });

  it('vote bytes follow the README layout and each signature verifies with OpenSSL and libsodium', () => {
    expect(quorumOf(file.validators.length)).toBe(file.quorum);
    for (const v of file.votes) {
      const ref = refVoteMessage(file.networkId, v.source, v.target);
      expect(ref.toString('hex')).toBe(v.message);
      expect(ref.length).toBe(91 + Buffer.byteLength(file.networkId));
      expect(toHex(voteSigningMessage(file.networkId, cp(v.source), cp(v.target)))).toBe(v.message);
      const key = createPublicKey({
        key: Buffer.concat([hx('302a300506032b6570032100'), hx(file.validators[v.validatorIndex]!)]),
        format: 'der',
        type: 'spki',
      });
      expect(cryptoVerify(null, ref, key, hx(v.signature))).toBe(true);
      expect(verifySignature(fromHex(file.validators[v.validatorIndex]!), ref, fromHex(v.signature))).toBe(
        true,
      );
      // The network id is covered: the same vote does not verify as another network's.
      expect(cryptoVerify(null, refVoteMessage('tc-other', v.source, v.target), key, hx(v.signature))).toBe(
        false,
      );
    }
  });

  it('certificate verdicts: a quorum of distinct, valid votes for a link to the next epoch, nothing less', async () => {
    const inline = new InlineValidator();
    expect(file.certificates.filter((c) => c.valid).length).toBeGreaterThan(0);
    expect(file.certificates.filter((c) => !c.valid).length).toBeGreaterThan(3);
    for (const c of file.certificates) {
      const cert = {
        source: cp(c.certificate.source),
        target: cp(c.certificate.target),
        votes: c.certificate.votes.map((v) => ({
          validatorIndex: v.validatorIndex,
          signature: fromHex(v.signature),
        })),
      };
      const error = await certificateError(genesis, cert, (xs) => inline.verifySignatures(xs));
      expect(error === undefined, `${c.case}: ${error}`).toBe(c.valid);
    }
  });
});
