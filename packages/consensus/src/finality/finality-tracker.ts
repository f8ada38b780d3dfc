import { bytesEqual, toHex } from '../bytes.js';
import type { ForkChoiceJustification } from '../chain/fork-choice.js';
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
export class FinalityTracker implements ForkChoiceJustification {
  readonly quorum: number;
  readonly validators: number;
  private readonly ids: number[];
  private current: Checkpoint;
  private readonly links = new Map<string, Link>();
  /** Justified checkpoints above the finalized one: `epoch:hash` → epoch. */
  private readonly justified = new Map<string, Checkpoint>();
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
    for (const cp of this.justified.values()) {
      if (cp.epoch > best.epoch && cp.epoch <= epoch && this.canonical(cp)) best = cp;
    }
    return best;
  }

  /** The highest justified checkpoint of the canonical chain (fork choice's view of ours). */
  canonicalJustified(): Checkpoint {
    return this.highestJustified(Number.MAX_SAFE_INTEGER);
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
    const justified = this.justifiedWhere((cp) => this.canonical(cp));
    for (const [key, cp] of justified) {
      if (cp.epoch <= this.current.epoch || this.justified.has(key)) continue;
      this.rememberJustified(cp);
      this.justifiedCount++;
    }
    const full = this.fullLinks();
    let best: Link | undefined;
    for (const link of full) {
      if (link.target.epoch !== link.source.epoch + 1 || link.source.epoch <= this.current.epoch) continue;
      if (!justified.has(keyOf(link.source)) || !justified.has(keyOf(link.target))) continue;
      if (best === undefined || link.source.epoch > best.source.epoch) best = link;
    }
    if (best === undefined) return undefined;
    const votes = [...best.voters.values()]
      .map((v) => ({ validatorIndex: v.validatorIndex, signature: v.signature }))
      .sort((a, b) => a.validatorIndex - b.validatorIndex);
    return { finalized: best.source, certificate: { source: best.source, target: best.target, votes } };
  }

  /**
   * The highest checkpoint justified on the chain `hashAt` describes (canonical or not): the
   * fork-choice weight of a branch (README 11, 15.6). Judged from the same links as `evaluate`.
   */
  highestJustifiedOn(hashAt: (height: number) => Uint8Array | undefined): Checkpoint {
    const on = (cp: Checkpoint) => {
      const hash = hashAt(heightOf(cp));
      return hash !== undefined && bytesEqual(hash, cp.hash);
    };
    if (!on(this.current)) return { epoch: -1, hash: this.current.hash }; // conflicts with what is final
    let best = this.current;
    for (const cp of this.justifiedWhere(on).values()) if (cp.epoch > best.epoch) best = cp;
    return best;
  }

  /**
   * Whether the votes held prove `cp` justified on whatever chain holds it: a peer's claim worth
   * fetching its branch for. Cheap (no chain reads); the switch itself judges the branch again.
   */
  provesJustified(cp: Checkpoint): boolean {
    const key = keyOf(cp);
    if (cp.epoch <= this.current.epoch) return key === keyOf(this.current);
    return this.justifiedWhere(() => true).has(key);
  }

  /**
   * Every checkpoint the links held prove justified among those `on` accepts (a chain's
   * checkpoints, or all of them), by key: the finalized one, those remembered, the sources of
   * quorum links to the next epoch, and what quorum links from any of these reach. The one
   * closure `evaluate`, fork choice and peers' claims are all judged by.
   */
  private justifiedWhere(on: (cp: Checkpoint) => boolean): Map<string, Checkpoint> {
    const out = new Map<string, Checkpoint>([[keyOf(this.current), this.current]]);
    for (const [key, cp] of this.justified) if (on(cp)) out.set(key, cp);
    const full = this.fullLinks();
    // A quorum link to the next epoch is a certificate (15.3): it proves its source justified
    // without the links that justified it, which a node that was away may never receive.
    for (const { source, target } of full) {
      if (target.epoch === source.epoch + 1 && source.epoch > this.current.epoch && on(source) && on(target))
        out.set(keyOf(source), source);
    }
    for (let changed = true; changed; ) {
      changed = false;
      for (const { source, target } of full) {
        const key = keyOf(target);
        if (out.has(key) || !out.has(keyOf(source)) || !on(target)) continue;
        out.set(key, target);
        changed = true;
      }
    }
    return out;
  }

  /** How many checkpoints became justified so far (a caller sees new justifications by its change). */
  justifiedCount = 0;

  /** Moves the finalized checkpoint up (after it is stored) and forgets what lies at or below it. */
  setFinalized(cp: Checkpoint): void {
    if (cp.epoch <= this.current.epoch) return;
    this.current = cp;
    for (const [key, link] of this.links) if (link.target.epoch <= cp.epoch) this.links.delete(key);
    for (const [key, j] of this.justified) if (j.epoch <= cp.epoch) this.justified.delete(key);
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

  /**
   * The votes of the `links` highest links that reached a quorum (what justified our highest
   * checkpoints), and of the highest certificate link (`S → S + 1`), from which a node that
   * missed the rest finalizes `S` and learns the quorum's source.
   */
  quorumVotes(links = 2): Vote[] {
    const full = this.fullLinks().sort((a, b) => b.target.epoch - a.target.epoch);
    const chosen = full.slice(0, links);
    const certificate = full.find((l) => l.target.epoch === l.source.epoch + 1);
    if (certificate && !chosen.includes(certificate)) chosen.push(certificate);
    return chosen.flatMap((l) => [...l.voters.values()]);
  }

  /** Links that reached a quorum, lowest source first (the order justification runs in). */
  private fullLinks(): Link[] {
    const full = [...this.links.values()].filter((l) => l.voters.size >= this.quorum);
    return full.sort((a, b) => a.source.epoch - b.source.epoch || a.target.epoch - b.target.epoch);
  }

  get linkCount(): number {
    return this.links.size;
  }

  private rememberJustified(cp: Checkpoint): void {
    this.justified.set(keyOf(cp), cp);
    if (this.justified.size <= this.maxJustified) return;
    let lowest: [string, Checkpoint] | undefined;
    for (const entry of this.justified)
      if (lowest === undefined || entry[1].epoch < lowest[1].epoch) lowest = entry;
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
