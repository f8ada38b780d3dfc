import { pb, type tc } from '@tc/wire';
import { bytesEqual, SIGNATURE_BYTES, toHex } from '../bytes.js';
import { headerHash, producerSigningMessage } from '../canonical.js';
import type { GenesisConfig } from '../genesis.js';
import { sha256 } from '../hashing.js';
import { type BlockHeaderData, fromPbHeader, toPbHeader } from '../model.js';
import type { SignatureItem } from '../validation-task.js';
import { verifyChecked } from './certificate.js';
import {
  slashable,
  type Vote,
  validatorIdentities,
  voteFromWire,
  voteShapeError,
  voteSigningMessage,
  voteToWire,
} from './vote.js';

/** A signed header as evidence carries it. */
export interface SignedHeader {
  readonly header: BlockHeaderData;
  readonly signature: Uint8Array;
}

/**
 * Proof that a validator broke a rule no honest one breaks (README 15.5): two conflicting
 * votes, or two blocks it signed for one height and attempt.
 */
export type Evidence =
  | { readonly kind: 'votes'; readonly first: Vote; readonly second: Vote }
  | { readonly kind: 'blocks'; readonly first: SignedHeader; readonly second: SignedHeader };

export function evidenceToWire(e: Evidence): tc.v1.Evidence.$Properties {
  return e.kind === 'votes'
    ? { votes: { first: voteToWire(e.first), second: voteToWire(e.second) } }
    : {
        blocks: {
          first: toPbHeader(e.first.header),
          firstSignature: e.first.signature,
          second: toPbHeader(e.second.header),
          secondSignature: e.second.signature,
        },
      };
}

/** A wire Evidence as Evidence; undefined when it is neither kind or a header does not decode. */
export function evidenceFromWire(e: tc.v1.IEvidence): Evidence | undefined {
  if (e.votes?.first && e.votes.second) {
    return { kind: 'votes', first: voteFromWire(e.votes.first), second: voteFromWire(e.votes.second) };
  }
  if (e.blocks?.first && e.blocks.second) {
    try {
      return {
        kind: 'blocks',
        first: {
          header: fromPbHeader(e.blocks.first),
          signature: e.blocks.firstSignature ?? new Uint8Array(),
        },
        second: {
          header: fromPbHeader(e.blocks.second),
          signature: e.blocks.secondSignature ?? new Uint8Array(),
        },
      };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Storage bytes of evidence (its protobuf encoding). */
export function encodeEvidence(e: Evidence): Uint8Array {
  return pb.Evidence.encode(evidenceToWire(e)).finish();
}

export function decodeEvidence(bytes: Uint8Array): Evidence | undefined {
  return evidenceFromWire(pb.Evidence.decode(bytes));
}

/** The validator index evidence accuses. */
export function accused(genesis: GenesisConfig, e: Evidence): number {
  if (e.kind === 'votes') return e.first.validatorIndex;
  return genesis.validators.findIndex((k) => bytesEqual(k, e.first.header.producerPublicKey));
}

/**
 * One key per offence, the same whichever order its two parts come in: SHA-256 over the kind,
 * the accused key and the two signatures in byte order. Evidence is stored and relayed once per key.
 */
export function evidenceKey(genesis: GenesisConfig, e: Evidence): Uint8Array {
  const sigs = [e.first.signature, e.second.signature].map(toHex).sort();
  return sha256(new TextEncoder().encode(`${e.kind}/${accused(genesis, e)}/${sigs[0]}/${sigs[1]}`));
}

/**
 * The cheap checks of evidence (before any signature): for votes, both well formed, by one
 * validator key, and slashable together; for blocks, two different headers of one validator
 * for one height and attempt. Returns what is wrong, or the two signatures to verify.
 */
export function evidenceChecks(
  genesis: GenesisConfig,
  e: Evidence,
): { error: string } | { items: SignatureItem[] } {
  if (e.kind === 'votes') {
    const { ids } = validatorIdentities(genesis);
    const n = genesis.validators.length;
    const shape = voteShapeError(e.first, n) ?? voteShapeError(e.second, n);
    if (shape) return { error: shape };
    const id = ids[e.first.validatorIndex]!;
    if (ids[e.second.validatorIndex] !== id) return { error: 'votes of two validators' };
    if (!slashable({ ...e.first, validatorIndex: id }, { ...e.second, validatorIndex: id }))
      return { error: 'the votes do not conflict' };
    const publicKey = genesis.validators[e.first.validatorIndex]!;
    return {
      items: [e.first, e.second].map((v) => ({
        publicKey,
        signature: v.signature,
        message: voteSigningMessage(genesis.networkId, v.source, v.target),
      })),
    };
  }
  const a = e.first.header;
  const b = e.second.header;
  if (accused(genesis, e) < 0) return { error: 'the producer is not a validator' };
  if (!bytesEqual(a.producerPublicKey, b.producerPublicKey)) return { error: 'blocks of two producers' };
  if (a.height !== b.height || a.leaderAttempt !== b.leaderAttempt)
    return { error: 'not the same height and attempt' };
  if (e.first.signature.length !== SIGNATURE_BYTES || e.second.signature.length !== SIGNATURE_BYTES)
    return { error: 'signature size' };
  const ha = headerHash(a);
  const hb = headerHash(b);
  if (bytesEqual(ha, hb)) return { error: 'the same block twice' };
  return {
    items: [
      {
        publicKey: a.producerPublicKey,
        signature: e.first.signature,
        message: producerSigningMessage(genesis.networkId, ha),
      },
      {
        publicKey: b.producerPublicKey,
        signature: e.second.signature,
        message: producerSigningMessage(genesis.networkId, hb),
      },
    ],
  };
}

/** Verifies evidence fully; undefined when it is valid, else the reason. */
export async function evidenceError(
  genesis: GenesisConfig,
  e: Evidence,
  verify: (items: readonly SignatureItem[]) => Promise<boolean[]>,
): Promise<string | undefined> {
  return verifyChecked(evidenceChecks(genesis, e), verify, () => 'a signature is invalid');
}
