import { bytesEqual, toHex } from '../bytes.js';
import type { GenesisConfig } from '../genesis.js';
import type { Certificate } from './certificate.js';
import { type Checkpoint, linkKey, quorumOf, slashable, type Vote, validatorIdentities } from './vote.js';

/** What the tracker needs of the chain: the canonical hash at a height (undefined above the tip). */
export interface FinalityChain {
  hashAt(height: number): Uint8Array | undefined;
}

export interface FinalityTrackerOptions {
  genesis: GenesisConfig;
  chain: FinalityChain;
  /** The finalized block to start from (stored, else genesis). */
  finalized: Checkpoint;
  /** Links (source → target) tallied at once; the lowest target goes first past it. Default 1 024. */
  maxLinks?: number;
  /** Recent votes kept per validator to find equivocations. Default 64. */
  recentPerValidator?: number;
  /** Justified blocks remembered above the finalized one. Default 1 024. */
  maxJustified?: number;
}

interface Link {
  readonly source: Checkpoint;
  readonly target: Checkpoint;
  /** Counted votes by validator identity (a key listed twice in genesis counts once). */
  readonly voters: Map<number, Vote>;
}

export type AddVoteResult =
  | { readonly status: 'counted' }
  | { readonly status: 'duplicate' }
  /** Below the finalized block: nothing left to decide with it. */
  | { readonly status: 'stale' }
  /** Conflicts with a vote this validator signed before: evidence, and not counted. */
  | { readonly status: 'equivocation'; readonly earlier: Vote; readonly kind: 'double' | 'surround' };

/**
 * Casper FFG over every block (consensus README 15): tallies verified votes per link, marks
 * targets justified once more than 2/3 of the validators voted a link from a justified source,
 * and finalizes a justified block whose child is justified by a link from it. Everything is
 * judged against the canonical chain as it is now, so a reorg simply stops counting what left
 * it. Holds only verified votes; every map is bounded.
 */
export class FinalityTracker {
  readonly quorum: number;
  readonly validators: number;
  private readonly ids: number[];
  private current: Checkpoint;
  private readonly links = new Map<string, Link>();
  private readonly justified = new Map<string, number>();
  private readonly recent = new Map<number, Vote[]>();
  private readonly maxLinks: number;
  private readonly recentPerValidator: number;
  private readonly maxJustified: number;

  constructor(private readonly o: FinalityTrackerOptions) {
    const { ids, distinct } = validatorIdentities(o.genesis);
    this.ids = ids;
    this.validators = distinct;
    this.quorum = quorumOf(distinct);
    this.current = o.finalized;
    this.maxLinks = o.maxLinks ?? 1_024;
    this.recentPerValidator = o.recentPerValidator ?? 64;
    this.maxJustified = o.maxJustified ?? 1_024;
  }

  get finalized(): Checkpoint {
    return this.current;
  }

  /** Whether `cp` is on the canonical chain now. */
  canonical(cp: Checkpoint): boolean {
    const hash = this.o.chain.hashAt(cp.height);
    return hash !== undefined && bytesEqual(hash, cp.hash);
  }

  /** Justified and on the canonical chain (the finalized block always is). */
  isJustified(cp: Checkpoint): boolean {
    if (cp.height === this.current.height && bytesEqual(cp.hash, this.current.hash)) return true;
    return (
      cp.height > this.current.height &&
      this.justified.get(toHex(cp.hash)) === cp.height &&
      this.canonical(cp)
    );
  }

  /** The highest justified canonical block at or below `height`: the source of our next vote. */
  highestJustified(height: number): Checkpoint {
    let best = this.current;
    for (const [hex, h] of this.justified) {
      if (h <= best.height || h > height) continue;
      const hash = this.o.chain.hashAt(h);
      if (hash !== undefined && toHex(hash) === hex) best = { height: h, hash };
    }
    return best;
  }

  /** Records a block as justified that this node saw justified before a restart (its own vote guard). */
  markJustified(cp: Checkpoint): void {
    if (cp.height > this.current.height) this.rememberJustified(cp);
  }

  /** Adds a vote whose signature was verified. */
  add(vote: Vote): AddVoteResult {
    if (vote.target.height <= this.current.height) return { status: 'stale' };
    const id = this.ids[vote.validatorIndex];
    if (id === undefined) throw new RangeError(`validator index ${vote.validatorIndex}`);
    const key = linkKey(vote.source, vote.target);
    if (this.links.get(key)?.voters.has(id)) return { status: 'duplicate' };
    const history = this.recent.get(id) ?? [];
    for (const earlier of history) {
      const kind = slashable({ ...earlier, validatorIndex: id }, { ...vote, validatorIndex: id });
      if (kind) return { status: 'equivocation', earlier, kind };
    }
    history.push(vote);
    if (history.length > this.recentPerValidator) history.shift();
    this.recent.set(id, history);
    let link = this.links.get(key);
    if (link === undefined) {
      link = { source: vote.source, target: vote.target, voters: new Map() };
      this.links.set(key, link);
      this.boundLinks();
    }
    link.voters.set(id, vote);
    return { status: 'counted' };
  }

  /**
   * Justifies what the counted links now justify on the canonical chain and returns the highest
   * newly finalizable block with its certificate (not yet applied: call `setFinalized` once it
   * is stored), or undefined.
   */
  evaluate(): { finalized: Checkpoint; certificate: Certificate } | undefined {
    const full = [...this.links.values()].filter((l) => l.voters.size >= this.quorum);
    full.sort((a, b) => a.source.height - b.source.height || a.target.height - b.target.height);
    for (let changed = true; changed; ) {
      changed = false;
      for (const link of full) {
        if (this.isJustified(link.target) || !this.isJustified(link.source) || !this.canonical(link.target))
          continue;
        this.rememberJustified(link.target);
        changed = true;
      }
    }
    let best: Link | undefined;
    for (const link of full) {
      if (link.target.height !== link.source.height + 1 || link.source.height <= this.current.height)
        continue;
      if (!this.isJustified(link.source) || !this.canonical(link.target)) continue;
      if (best === undefined || link.source.height > best.source.height) best = link;
    }
    if (best === undefined) return undefined;
    const votes = [...best.voters.values()]
      .map((v) => ({ validatorIndex: v.validatorIndex, signature: v.signature }))
      .sort((a, b) => a.validatorIndex - b.validatorIndex);
    return { finalized: best.source, certificate: { source: best.source, target: best.target, votes } };
  }

  /** Moves the finalized block up (after it is stored) and forgets what lies at or below it. */
  setFinalized(cp: Checkpoint): void {
    if (cp.height <= this.current.height) return;
    this.current = cp;
    for (const [key, link] of this.links) if (link.target.height <= cp.height) this.links.delete(key);
    for (const [hex, h] of this.justified) if (h <= cp.height) this.justified.delete(hex);
  }

  /** Counted votes for the link source → target (for tests, metrics and RPC). */
  votesFor(source: Checkpoint, target: Checkpoint): number {
    return this.links.get(linkKey(source, target))?.voters.size ?? 0;
  }

  /** Up to `limit` counted votes above the finalized block, newest targets first (for a new peer). */
  recentVotes(limit: number): Vote[] {
    const links = [...this.links.values()].sort((a, b) => b.target.height - a.target.height);
    const out: Vote[] = [];
    for (const link of links) {
      for (const vote of link.voters.values()) {
        if (out.length >= limit) return out;
        out.push(vote);
      }
    }
    return out;
  }

  get linkCount(): number {
    return this.links.size;
  }

  private rememberJustified(cp: Checkpoint): void {
    this.justified.set(toHex(cp.hash), cp.height);
    if (this.justified.size <= this.maxJustified) return;
    let lowest: [string, number] | undefined;
    for (const entry of this.justified) if (lowest === undefined || entry[1] < lowest[1]) lowest = entry;
    if (lowest) this.justified.delete(lowest[0]);
  }

  /** Past `maxLinks`, the link with the lowest target goes (the one least likely still to matter). */
  private boundLinks(): void {
    if (this.links.size <= this.maxLinks) return;
    let lowest: [string, Link] | undefined;
    for (const entry of this.links) {
      if (lowest === undefined || entry[1].target.height < lowest[1].target.height) lowest = entry;
    }
    if (lowest) this.links.delete(lowest[0]);
  }
}
