import { describe, expect, it } from 'vitest';
import { decodeVoteGuard, encodeVoteGuard } from '../../src/finality/vote-guard.js';
import {
  type Checkpoint,
  certificateError,
  decodeCertificate,
  encodeCertificate,
  FinalityTracker,
  type GenesisConfig,
  genesisHash,
  InlineValidator,
  mayVote,
  Signer,
  signVote,
  slashable,
  toHex,
  type Vote,
} from '../../src/internal.js';
import { makeGenesis, seedKey } from '../helpers.js';

const keys = [seedKey(1), seedKey(2), seedKey(3), seedKey(4)];
const genesis4 = makeGenesis({ validators: keys.map((k) => toHex(k.publicKey)) });
const signers = keys.map((k) => new Signer(k));
const inline = new InlineValidator();

/** A chain of `hashes[h]` (index 0 is genesis), changeable to model reorgs. */
function chainOf(genesis: GenesisConfig, length: number, salt = 0) {
  const hashes: Uint8Array[] = [genesisHash(genesis)];
  for (let h = 1; h <= length; h++) hashes.push(new Uint8Array(32).fill((h * 7 + salt) & 0xff));
  return {
    hashes,
    /** Round 0 (the block) or 1 (its confirmation) of the block at `h`. */
    cp: (h: number, round: 0 | 1 = 0): Checkpoint => ({ epoch: 2 * h + round, hash: hashes[h]! }),
    lookup: { hashAt: (h: number) => hashes[h] },
  };
}

const vote = (i: number, source: Checkpoint, target: Checkpoint, genesis = genesis4): Vote =>
  signVote(genesis.networkId, signers[i]!, { validatorIndex: i, source, target });

describe('FinalityTracker (Casper FFG, two epochs per block)', () => {
  it('justifies a block with more than 2/3 of the votes and finalizes it with its confirmation round', async () => {
    const c = chainOf(genesis4, 3);
    const t = new FinalityTracker({ genesis: genesis4, chain: c.lookup, finalized: c.cp(0) });
    expect(t.quorum).toBe(3);
    for (const i of [0, 1]) expect(t.add(vote(i, c.cp(0), c.cp(1))).status).toBe('counted');
    expect(t.evaluate()).toBeUndefined();
    expect(t.isJustified(c.cp(1))).toBe(false); // 2 of 4 is not a quorum
    t.add(vote(2, c.cp(0), c.cp(1)));
    expect(t.evaluate()).toBeUndefined(); // epoch 0 → 2 is no link to the next epoch
    expect(t.isJustified(c.cp(1))).toBe(true);
    // The confirmation round: block 1, epoch 2 → 3. Final without waiting for block 2.
    for (const i of [0, 1, 3]) t.add(vote(i, c.cp(1), c.cp(1, 1)));
    const next = t.evaluate();
    expect(next?.finalized).toEqual(c.cp(1));
    expect(next!.certificate.votes.map((v) => v.validatorIndex)).toEqual([0, 1, 3]);
    // The certificate stands on its own: a syncing node verifies it without the tracker.
    const cert = decodeCertificate(encodeCertificate(next!.certificate));
    expect(await certificateError(genesis4, cert, (xs) => inline.verifySignatures(xs))).toBeUndefined();
    t.setFinalized(next!.finalized);
    expect(t.finalized.epoch).toBe(2);
    expect(t.highestJustified(10)).toEqual(c.cp(1, 1));
    expect(t.add(vote(2, c.cp(0), c.cp(1))).status).toBe('stale');
  });

  it('also finalizes a confirmed block through its child (the link to the next epoch)', () => {
    const c = chainOf(genesis4, 3);
    const t = new FinalityTracker({ genesis: genesis4, chain: c.lookup, finalized: c.cp(0) });
    for (const i of [0, 1, 2]) t.add(vote(i, c.cp(0), c.cp(1)));
    for (const i of [0, 1, 2]) t.add(vote(i, c.cp(1), c.cp(1, 1)));
    t.setFinalized(t.evaluate()!.finalized);
    for (const i of [0, 1, 2]) t.add(vote(i, c.cp(1, 1), c.cp(2)));
    expect(t.evaluate()?.finalized).toEqual(c.cp(1, 1)); // block 1 again: nothing new for the chain
  });

  it('never counts an equivocating vote: a double vote or a surround vote is evidence instead', () => {
    const c = chainOf(genesis4, 6);
    const t = new FinalityTracker({ genesis: genesis4, chain: c.lookup, finalized: c.cp(0) });
    const first = vote(0, c.cp(0), c.cp(2));
    t.add(first);
    const double = vote(0, c.cp(1), { epoch: 4, hash: new Uint8Array(32).fill(0xee) });
    expect(t.add(double)).toMatchObject({ status: 'equivocation', kind: 'double', earlier: first });
    const inner = vote(1, c.cp(2), c.cp(3));
    t.add(inner);
    expect(t.add(vote(1, c.cp(1), c.cp(5)))).toMatchObject({ status: 'equivocation', kind: 'surround' });
    expect(t.add(inner).status).toBe('duplicate');
    expect(slashable(inner, vote(1, c.cp(3), c.cp(4)))).toBeUndefined(); // chained, not surrounding
  });

  it('judges links against the chain as it is now: a reorg stops what left it', () => {
    const c = chainOf(genesis4, 3);
    const t = new FinalityTracker({ genesis: genesis4, chain: c.lookup, finalized: c.cp(0) });
    for (const i of [0, 1, 2]) t.add(vote(i, c.cp(0), c.cp(1)));
    const oldTwo = c.cp(2);
    for (const i of [0, 1, 2]) t.add(vote(i, c.cp(1), oldTwo));
    for (const i of [0, 1, 2]) t.add(vote(i, oldTwo, c.cp(2, 1)));
    c.hashes[2] = new Uint8Array(32).fill(0x99); // block 2 replaced before the tally is read
    expect(t.evaluate()).toBeUndefined();
    expect(t.isJustified(c.cp(1))).toBe(true);
    c.hashes[2] = oldTwo.hash; // and back: the links count again
    expect(t.evaluate()?.finalized).toEqual(oldTwo);
  });

  it('gives a new peer the quorum links first, however many votes came after them', () => {
    const c = chainOf(genesis4, 200);
    const t = new FinalityTracker({ genesis: genesis4, chain: c.lookup, finalized: c.cp(0) });
    for (const i of [0, 1, 2]) t.add(vote(i, c.cp(0), c.cp(1)));
    t.evaluate(); // block 1 is justified; then a long stall: two voters only, block after block
    for (let h = 2; h <= 200; h++) for (const i of [0, 1]) t.add(vote(i, c.cp(1), c.cp(h)));
    const sent = t.recentVotes(256);
    expect(sent).toHaveLength(256);
    expect(sent.slice(0, 3).every((v) => v.target.epoch === 2)).toBe(true);
    expect(sent[3]!.target.epoch).toBe(400); // then the newest
  });

  it('finalizes on a quorum link to the next epoch alone (a certificate), for a node that missed what justified it', () => {
    const c = chainOf(genesis4, 4);
    const t = new FinalityTracker({ genesis: genesis4, chain: c.lookup, finalized: c.cp(0) });
    // Only the confirmation round of block 3 reached us: the links that justified (6, B3) did not.
    for (const i of [0, 1]) t.add(vote(i, c.cp(3), c.cp(3, 1)));
    expect(t.evaluate()).toBeUndefined(); // 2 of 4: no certificate
    t.add(vote(3, c.cp(3), c.cp(3, 1)));
    expect(t.evaluate()?.finalized).toEqual(c.cp(3));
    expect(t.isJustified(c.cp(3, 1))).toBe(true); // so this node's next vote has the quorum's source
    expect(t.highestJustified(100)).toEqual(c.cp(3, 1));
  });

  it('weighs any chain by its highest justified checkpoint, and proves a claim only from quorum links', () => {
    const c = chainOf(genesis4, 5);
    const t = new FinalityTracker({ genesis: genesis4, chain: c.lookup, finalized: c.cp(0) });
    for (const i of [0, 1, 2]) t.add(vote(i, c.cp(0), c.cp(2)));
    t.evaluate();
    expect(t.canonicalJustified()).toEqual(c.cp(2));
    // Another branch forking above block 1: block 3 there is justified by a quorum the canonical chain lacks.
    const side = chainOf(genesis4, 5, 100);
    for (let h = 0; h <= 1; h++) side.hashes[h] = c.hashes[h]!;
    for (const i of [1, 2, 3]) t.add(vote(i, c.cp(0), side.cp(3)));
    t.evaluate();
    expect(t.isJustified(side.cp(3))).toBe(false); // not canonical here
    expect(t.highestJustifiedOn(c.lookup.hashAt)).toEqual(c.cp(2));
    expect(t.highestJustifiedOn(side.lookup.hashAt)).toEqual(side.cp(3));
    expect(t.provesJustified(side.cp(3))).toBe(true);
    expect(t.provesJustified(side.cp(4))).toBe(false); // a claim no quorum link backs
    expect(t.provesJustified({ epoch: 6, hash: new Uint8Array(32).fill(0xab) })).toBe(false);
    // A chain that lacks the finalized block weighs less than any other.
    const u = new FinalityTracker({ genesis: genesis4, chain: c.lookup, finalized: c.cp(0) });
    for (const i of [0, 1, 2]) u.add(vote(i, c.cp(0), c.cp(2)));
    for (const i of [0, 1, 2]) u.add(vote(i, c.cp(2), c.cp(2, 1)));
    u.setFinalized(u.evaluate()!.finalized);
    expect(u.highestJustifiedOn(side.lookup.hashAt).epoch).toBe(-1);
    expect(u.highestJustifiedOn(c.lookup.hashAt).epoch).toBe(5);
  });

  it('counts a key listed twice in genesis once', () => {
    const dup = makeGenesis({
      validators: [keys[0]!, keys[0]!, keys[1]!, keys[2]!].map((k) => toHex(k.publicKey)),
    });
    const c = chainOf(dup, 2);
    const t = new FinalityTracker({ genesis: dup, chain: c.lookup, finalized: c.cp(0) });
    expect(t.validators).toBe(3);
    expect(t.quorum).toBe(3);
    const v = (i: number, s: number, g: number) =>
      signVote(dup.networkId, signers[[0, 0, 1, 2][i]!]!, {
        validatorIndex: i,
        source: c.cp(s),
        target: c.cp(g),
      });
    t.add(v(0, 0, 1));
    expect(t.add(v(1, 0, 1)).status).toBe('duplicate');
    t.add(v(2, 0, 1));
    t.evaluate();
    expect(t.isJustified(c.cp(1))).toBe(false);
  });
});

describe('vote guard (slashing protection)', () => {
  it('allows only increasing targets and non-decreasing sources, and round-trips its bytes', () => {
    const c = chainOf(genesis4, 9);
    const guard = { lastSourceEpoch: 6, lastTargetEpoch: 10, justified: c.cp(4) };
    expect(mayVote(undefined, c.cp(0), c.cp(1))).toBe(true);
    expect(mayVote(guard, c.cp(3), c.cp(6))).toBe(true);
    expect(mayVote(guard, c.cp(5), c.cp(5, 1))).toBe(true); // a confirmation round after round 0
    expect(mayVote(guard, c.cp(4), c.cp(5))).toBe(false); // same target epoch: a double vote
    expect(mayVote(guard, c.cp(2), c.cp(9))).toBe(false); // a lower source: would surround
    expect(mayVote(guard, c.cp(6), c.cp(6))).toBe(false);
    expect(decodeVoteGuard(encodeVoteGuard(guard))).toEqual(guard);
    const none = { lastSourceEpoch: 0, lastTargetEpoch: 2, justified: undefined };
    expect(decodeVoteGuard(encodeVoteGuard(none))).toEqual(none);
  });
});
