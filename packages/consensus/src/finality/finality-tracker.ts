import { bytesEqual, toHex } from '../bytes.js';
import type { GenesisConfig } from '../genesis.js';
import type { Certificate } from './certificate.js';
import {
  type Checkpoint,
  heightOf,
  linkKey,
  quorumOf,
  slashable,
  type Vote,
  validatorIdentities,
} from './vote.js';

/** What the tracker needs of the chain: the canonical hash at a height (undefined above the tip). */
export interface FinalityChain {
  hashAt(height: number): Uint8Array | undefined;
}

export interface FinalityTrackerOptions {
  genesis: GenesisConfig;
  chain: FinalityChain;
  /** The finalized checkpoint to start from (the stored block's round 0, else genesis). */
  finalized: Checkpoint;
  /** Links (source → target) tallied at once; the lowest target goes first past it. Default 1 024. */
  maxLinks?: number;
  /** Recent votes kept per validator to find equivocations. Default 64. */
  recentPerValidator?: number;
  /** Justified checkpoints remembered above the finalized one. Default 1 024. */
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
  /** At or below the finalized checkpoint: nothing left to decide with it. */
  | { readonly status: 'stale' }
  /** Conflicts with a vote this validator signed before: evidence, and not counted. */
  | { readonly status: 'equivocation'; readonly earlier: Vote; readonly kind: 'double' | 'surround' };

/**
 * Casper FFG with two epochs per block (consensus README 15): tallies verified votes per link,
 * marks a target justified once more than 2/3 of the validators voted one link to it from a
 * justified source, and finalizes a justified checkpoint whose next epoch is justified by a
 * link from it (usually the block's own confirmation round). Everything is judged against the
 * canonical chain as it is now, so a reorg simply stops counting what left it. Holds only
 * verified votes; every map is bounded.
 */
export class FinalityTracker {
  readonly quorum: number;
  readonly validators: number;
  private readonly ids: number[];
  private current: Checkpoint;
  private readonly links = new Map<string, Link>();
  /** Justified checkpoints above the finalized one: `epoch:hash` → epoch. */
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

  /** The finalized checkpoint (its block and every ancestor are final). */
  get finalized(): Checkpoint {
    return this.current;
  }

  /** Whether `cp`'s block is on the canonical chain now. */
  canonical(cp: Checkpoint): boolean {
    const hash = this.o.chain.hashAt(heightOf(cp));
    return hash !== undefined && bytesEqual(hash, cp.hash);
  }

  /** Justified and on the canonical chain (the finalized checkpoint always is). */
  isJustified(cp: Checkpoint): boolean {
    if (cp.epoch === this.current.epoch && bytesEqual(cp.hash, this.current.hash)) return true;
    return cp.epoch > this.current.epoch && this.justified.has(keyOf(cp)) && this.canonical(cp);
  }

  /** The highest justified canonical checkpoint at or below `epoch`: the source of our next vote. */
  highestJustified(epoch: number): Checkpoint {
    let best = this.current;
    for (const [key, e] of this.justified) {
      if (e <= best.epoch || e > epoch) continue;
      const hash = this.o.chain.hashAt(Math.floor(e / 2));
      if (hash !== undefined && key === `${e}:${toHex(hash)}`) best = { epoch: e, hash };
    }
    return best;
  }

  /** Records a checkpoint this node saw justified before a restart (its own vote guard). */
  markJustified(cp: Checkpoint): void {
    if (cp.epoch > this.current.epoch) this.rememberJustified(cp);
  }

  /** Adds a vote whose signature was verified. */
  add(vote: Vote): AddVoteResult {
    if (vote.target.epoch <= this.current.epoch) return { status: 'stale' };
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
   * newly finalizable checkpoint with its certificate (not yet applied: call `setFinalized`
   * once it is stored), or undefined. New justifications show in `justifiedCount`.
   */
  evaluate(): { finalized: Checkpoint; certificate: Certificate } | undefined {
    const full = [...this.links.values()].filter((l) => l.voters.size >= this.quorum);
    full.sort((a, b) => a.source.epoch - b.source.epoch || a.target.epoch - b.target.epoch);
    for (let changed = true; changed; ) {
      changed = false;
      for (const link of full) {
        if (this.isJustified(link.target) || !this.isJustified(link.source) || !this.canonical(link.target))
          continue;
        this.rememberJustified(link.target);
        this.justifiedCount++;
        changed = true;
      }
    }
    let best: Link | undefined;
    for (const link of full) {
      if (link.target.epoch !== link.source.epoch + 1 || link.source.epoch <= this.current.epoch) continue;
      if (!this.isJustified(link.source) || !this.canonical(link.target)) continue;
      if (best === undefined || link.source.epoch > best.source.epoch) best = link;
    }
    if (best === undefined) return undefined;
    const votes = [...best.voters.values()]
      .map((v) => ({ validatorIndex: v.validatorIndex, signature: v.signature }))
      .sort((a, b) => a.validatorIndex - b.validatorIndex);
    return { finalized: best.source, certificate: { source: best.source, target: best.target, votes } };
  }

  /** How many checkpoints became justified so far (a caller sees new justifications by its change). */
  justifiedCount = 0;

  /** Moves the finalized checkpoint up (after it is stored) and forgets what lies at or below it. */
  setFinalized(cp: Checkpoint): void {
    if (cp.epoch <= this.current.epoch) return;
    this.current = cp;
    for (const [key, link] of this.links) if (link.target.epoch <= cp.epoch) this.links.delete(key);
    for (const [key, e] of this.justified) if (e <= cp.epoch) this.justified.delete(key);
  }

  /**
   * Up to `limit` counted votes above the finalized checkpoint for a new peer: first the links
   * that reached a quorum (what justified our highest checkpoints: without them a peer that
   * missed them votes from a lower source, and no link gathers a quorum), then the rest, newest
   * targets first.
   */
  recentVotes(limit: number): Vote[] {
    const full = (l: Link) => (l.voters.size >= this.quorum ? 1 : 0);
    const links = [...this.links.values()].sort(
      (a, b) => full(b) - full(a) || b.target.epoch - a.target.epoch,
    );
    const out: Vote[] = [];
    for (const link of links) {
      for (const vote of link.voters.values()) {
        if (out.length >= limit) return out;
        out.push(vote);
      }
    }
    return out;
  }

  /** The votes of the `links` highest links that reached a quorum (what justified our highest checkpoints). */
  quorumVotes(links = 2): Vote[] {
    return [...this.links.values()]
      .filter((l) => l.voters.size >= this.quorum)
      .sort((a, b) => b.target.epoch - a.target.epoch)
      .slice(0, links)
      .flatMap((l) => [...l.voters.values()]);
  }

  get linkCount(): number {
    return this.links.size;
  }

  private rememberJustified(cp: Checkpoint): void {
    this.justified.set(keyOf(cp), cp.epoch);
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
      if (lowest === undefined || entry[1].target.epoch < lowest[1].target.epoch) lowest = entry;
    }
    if (lowest) this.links.delete(lowest[0]);
  }
}

function keyOf(cp: Checkpoint): string {
  return `${cp.epoch}:${toHex(cp.hash)}`;
}
