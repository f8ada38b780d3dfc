import { type tc, u64, u64ToNumber } from '@tc/wire';
import { bytesEqual, HASH_BYTES, LeWriter, SIGNATURE_BYTES, toHex, utf8 } from '../bytes.js';
import type { GenesisConfig } from '../genesis.js';
import type { Signer } from '../keys.js';

/** Domain tag of a vote signature (consensus README 15.2). */
export const VOTE_SIG_DOMAIN_TAG = utf8('tc/vote/v1');

/**
 * A block and a round (README 15.1): epoch 2·h is the block at height h, epoch 2·h + 1 its
 * confirmation round, so a block can be finalized by two rounds of votes, without waiting
 * for its child.
 */
export interface Checkpoint {
  readonly epoch: number;
  readonly hash: Uint8Array;
}

/** Height of a checkpoint's block. */
export function heightOf(cp: Checkpoint): number {
  return Math.floor(cp.epoch / 2);
}

/** The checkpoint of the block at `height` in round `round` (0: the block, 1: its confirmation). */
export function checkpointAt(height: number, hash: Uint8Array, round: 0 | 1 = 0): Checkpoint {
  return { epoch: 2 * height + round, hash };
}

/**
 * One validator's vote for the link source → target: "source is justified and target builds
 * on it (the same block one round later, or a descendant)". Epochs are safe integers, source
 * below target.
 */
export interface Vote {
  readonly validatorIndex: number;
  readonly source: Checkpoint;
  readonly target: Checkpoint;
  readonly signature: Uint8Array;
}

export type UnsignedVote = Omit<Vote, 'signature'>;

/** Bytes a vote signature covers: tag ‖ u8 L ‖ networkId ‖ source (epoch u64 LE ‖ 32) ‖ target (epoch u64 LE ‖ 32). */
export function voteSigningMessage(networkId: string, source: Checkpoint, target: Checkpoint): Uint8Array {
  const net = utf8(networkId);
  if (net.length === 0 || net.length > 255) throw new RangeError('networkId must be 1..255 UTF-8 bytes');
  return new LeWriter(VOTE_SIG_DOMAIN_TAG.length + 1 + net.length + 2 * (8 + HASH_BYTES))
    .raw(VOTE_SIG_DOMAIN_TAG)
    .u8(net.length)
    .raw(net)
    .u64(source.epoch)
    .raw(source.hash, HASH_BYTES)
    .u64(target.epoch)
    .raw(target.hash, HASH_BYTES)
    .finish();
}

export function signVote(networkId: string, signer: Signer, vote: UnsignedVote): Vote {
  return { ...vote, signature: signer.sign(voteSigningMessage(networkId, vote.source, vote.target)) };
}

/**
 * Why a vote is refused before its signature is checked (all cheap): an index outside the
 * validator set, a source not below its target, an epoch past 2^53, a field of the wrong size,
 * or a confirmation-round target (odd epoch) that is not its source's block one round later.
 */
export function voteShapeError(vote: Vote, validators: number): string | undefined {
  if (!Number.isInteger(vote.validatorIndex) || vote.validatorIndex < 0 || vote.validatorIndex >= validators)
    return `validator index ${vote.validatorIndex} of ${validators}`;
  if (vote.source.hash.length !== HASH_BYTES || vote.target.hash.length !== HASH_BYTES) return 'hash size';
  if (vote.signature.length !== SIGNATURE_BYTES) return 'signature size';
  if (!Number.isSafeInteger(vote.source.epoch) || !Number.isSafeInteger(vote.target.epoch)) return 'epoch';
  if (vote.source.epoch < 0 || vote.source.epoch >= vote.target.epoch) return 'source not below target';
  if (vote.target.epoch % 2 === 1 && !isConfirmation(vote.source, vote.target))
    return 'a confirmation round not from its own block';
  return undefined;
}

/** Whether source → target is a block's confirmation round: the same block, one epoch later. */
export function isConfirmation(source: Checkpoint, target: Checkpoint): boolean {
  return target.epoch === source.epoch + 1 && source.epoch % 2 === 0 && bytesEqual(source.hash, target.hash);
}

/** One key per link: source epoch ‖ source hash ‖ target epoch ‖ target hash (hex). */
export function linkKey(source: Checkpoint, target: Checkpoint): string {
  return `${source.epoch}:${toHex(source.hash)}>${target.epoch}:${toHex(target.hash)}`;
}

/** Identity of a vote for dedup and relay: its voter and its link (the signature is implied). */
export function voteKey(vote: Vote): string {
  return `${vote.validatorIndex}/${linkKey(vote.source, vote.target)}`;
}

export function sameVote(a: UnsignedVote, b: UnsignedVote): boolean {
  return (
    a.validatorIndex === b.validatorIndex &&
    a.source.epoch === b.source.epoch &&
    a.target.epoch === b.target.epoch &&
    bytesEqual(a.source.hash, b.source.hash) &&
    bytesEqual(a.target.hash, b.target.hash)
  );
}

/**
 * Whether two votes of one validator break a rule no honest validator breaks (README 15.4):
 * 'double' — two different votes for the same target epoch; 'surround' — one vote's link
 * strictly contains the other's (s1 < s2 and t2 < t1, in epochs).
 */
export function slashable(a: UnsignedVote, b: UnsignedVote): 'double' | 'surround' | undefined {
  if (a.validatorIndex !== b.validatorIndex || sameVote(a, b)) return undefined;
  if (a.target.epoch === b.target.epoch) return 'double';
  const surrounds = (x: UnsignedVote, y: UnsignedVote) =>
    x.source.epoch < y.source.epoch && y.target.epoch < x.target.epoch;
  return surrounds(a, b) || surrounds(b, a) ? 'surround' : undefined;
}

/** Quorum: more than 2/3 of the distinct validator keys. */
export function quorumOf(distinctValidators: number): number {
  return Math.floor((2 * distinctValidators) / 3) + 1;
}

/** Each validator index → the first index of its key (a key listed twice counts once). */
export function validatorIdentities(genesis: GenesisConfig): { ids: number[]; distinct: number } {
  const first = new Map<string, number>();
  const ids = genesis.validators.map((key, i) => {
    const hex = toHex(key);
    if (!first.has(hex)) first.set(hex, i);
    return first.get(hex)!;
  });
  return { ids, distinct: first.size };
}

export function voteToWire(vote: Vote): tc.v1.Vote.$Properties {
  return {
    validatorIndex: vote.validatorIndex,
    sourceEpoch: u64(vote.source.epoch),
    sourceHash: vote.source.hash,
    targetEpoch: u64(vote.target.epoch),
    targetHash: vote.target.hash,
    signature: vote.signature,
  };
}

/** A wire epoch as a number: absent is 0, past 2^53 NaN (which every shape check refuses). */
export function epochFromWire(x: tc.v1.IVote['sourceEpoch']): number {
  try {
    return x === undefined || x === null ? 0 : u64ToNumber(x);
  } catch {
    return Number.NaN;
  }
}

/** A wire vote as a Vote; epochs past 2^53 become NaN, which `voteShapeError` refuses. */
export function voteFromWire(v: tc.v1.IVote): Vote {
  const epoch = epochFromWire;
  return {
    validatorIndex: v.validatorIndex ?? 0,
    source: { epoch: epoch(v.sourceEpoch), hash: v.sourceHash ?? new Uint8Array() },
    target: { epoch: epoch(v.targetEpoch), hash: v.targetHash ?? new Uint8Array() },
    signature: v.signature ?? new Uint8Array(),
  };
}
