import { pb, type tc, u64 } from '@tc/wire';
import { bytesEqual, HASH_BYTES, SIGNATURE_BYTES } from '../bytes.js';
import type { GenesisConfig } from '../genesis.js';
import type { SignatureItem } from '../validation-task.js';
import { type Checkpoint, epochFromWire, quorumOf, validatorIdentities, voteSigningMessage } from './vote.js';

/**
 * Proof that `source`'s block is final (README 15.3): the votes of more than 2/3 of the
 * validators for the link from it to the next epoch (target.epoch = source.epoch + 1): its own
 * confirmation round, or its child's round 0.
 */
export interface Certificate {
  readonly source: Checkpoint;
  readonly target: Checkpoint;
  readonly votes: readonly { readonly validatorIndex: number; readonly signature: Uint8Array }[];
}

export function certificateToWire(cert: Certificate): tc.v1.Certificate.$Properties {
  return {
    sourceEpoch: u64(cert.source.epoch),
    sourceHash: cert.source.hash,
    targetEpoch: u64(cert.target.epoch),
    targetHash: cert.target.hash,
    votes: cert.votes.map((v) => ({ validatorIndex: v.validatorIndex, signature: v.signature })),
  };
}

/** A wire certificate as a Certificate (epochs past 2^53 become NaN: `certificateError` refuses them). */
export function certificateFromWire(c: tc.v1.ICertificate): Certificate {
  const epoch = epochFromWire;
  return {
    source: { epoch: epoch(c.sourceEpoch), hash: c.sourceHash ?? new Uint8Array() },
    target: { epoch: epoch(c.targetEpoch), hash: c.targetHash ?? new Uint8Array() },
    votes: (c.votes ?? []).map((v) => ({
      validatorIndex: v.validatorIndex ?? 0,
      signature: v.signature ?? new Uint8Array(),
    })),
  };
}

/** Storage bytes of a certificate (its protobuf encoding: stored, never hashed). */
export function encodeCertificate(cert: Certificate): Uint8Array {
  return pb.Certificate.encode(certificateToWire(cert)).finish();
}

export function decodeCertificate(bytes: Uint8Array): Certificate {
  return certificateFromWire(pb.Certificate.decode(bytes));
}

/**
 * The cheap checks of a certificate (README 15.3), before any signature: a link to the next
 * epoch (from a round-0 checkpoint to its own block's confirmation, or from a confirmation to
 * another block's round 0), hash and signature sizes, indices inside the validator set,
 * distinct validators (a key listed twice counts once) and a quorum of them. Returns what is
 * wrong, or the signatures to verify.
 */
export function certificateChecks(
  genesis: GenesisConfig,
  cert: Certificate,
): { error: string } | { items: SignatureItem[] } {
  const { ids, distinct } = validatorIdentities(genesis);
  const { source, target } = cert;
  if (!Number.isSafeInteger(source.epoch) || source.epoch < 0 || target.epoch !== source.epoch + 1)
    return { error: 'not a link to the next epoch' };
  if (source.hash.length !== HASH_BYTES || target.hash.length !== HASH_BYTES) return { error: 'hash size' };
  const sameBlock = bytesEqual(source.hash, target.hash);
  if (source.epoch % 2 === 0 ? !sameBlock : sameBlock)
    return { error: "a round-0 checkpoint's next epoch is its own confirmation, and only that" };
  if (cert.votes.length > genesis.validators.length) return { error: 'more votes than validators' };
  const seen = new Set<number>();
  const message = voteSigningMessage(genesis.networkId, source, target);
  const items: SignatureItem[] = [];
  for (const v of cert.votes) {
    const id = ids[v.validatorIndex];
    if (id === undefined) return { error: `validator index ${v.validatorIndex}` };
    if (v.signature.length !== SIGNATURE_BYTES) return { error: 'signature size' };
    if (seen.has(id)) return { error: `validator ${v.validatorIndex} twice` };
    seen.add(id);
    items.push({ publicKey: genesis.validators[v.validatorIndex]!, signature: v.signature, message });
  }
  if (seen.size < quorumOf(distinct))
    return { error: `${seen.size} validators; the quorum is ${quorumOf(distinct)}` };
  return { items };
}

/**
 * Verifies a certificate fully: the cheap checks, then every signature with `verify` (the pool's
 * `verifySignatures`). Returns undefined when it is valid, else the reason.
 */
export async function certificateError(
  genesis: GenesisConfig,
  cert: Certificate,
  verify: (items: readonly SignatureItem[]) => Promise<boolean[]>,
): Promise<string | undefined> {
  return verifyChecked(
    certificateChecks(genesis, cert),
    verify,
    (bad) => `signature of validator ${cert.votes[bad]!.validatorIndex} is invalid`,
  );
}

/** The cheap checks' error, or the signatures' verdict: `invalid(i)` names the first bad one. */
export async function verifyChecked(
  checks: { error: string } | { items: SignatureItem[] },
  verify: (items: readonly SignatureItem[]) => Promise<boolean[]>,
  invalid: (index: number) => string,
): Promise<string | undefined> {
  if ('error' in checks) return checks.error;
  const bad = (await verify(checks.items)).indexOf(false);
  return bad >= 0 ? invalid(bad) : undefined;
}
