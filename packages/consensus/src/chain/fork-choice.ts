/**
 * Fork choice (README 11): the chain holding the higher justified finality checkpoint wins;
 * between equals the highest valid chain wins, and at equal height the lower tip hash
 * (bytewise, as unsigned big-endian numbers). A switch that abandons blocks needs at least
 * `requiredSupport(minPeers, connected)` distinct peers reporting the winning tip.
 */

/** A finality checkpoint (consensus README 15): epoch 2h is block h, 2h + 1 its confirmation. */
export interface JustifiedCheckpoint {
  readonly epoch: number;
  readonly hash: Uint8Array;
}

/**
 * What fork choice needs of finality (the FinalityService's tracker provides it): the highest
 * justified checkpoint of any chain, and whether the votes held prove a peer's claim.
 */
export interface ForkChoiceJustification {
  /** The highest checkpoint justified on the chain `hashAt` describes (-1 if it lacks the final block). */
  highestJustifiedOn(hashAt: (height: number) => Uint8Array | undefined): JustifiedCheckpoint;
  /** The highest justified checkpoint of the canonical chain (cheap). */
  canonicalJustified(): JustifiedCheckpoint;
  /** Whether the votes held prove `cp` justified (a peer's claim worth following). */
  provesJustified(cp: JustifiedCheckpoint): boolean;
}
export interface TipLike {
  readonly height: number;
  readonly hash: Uint8Array;
}

/** Bytewise comparison (-1, 0, 1). */
export function compareHashes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(
    Buffer.from(a.buffer, a.byteOffset, a.byteLength),
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}

/** Negative when `a` is the better tip, positive when `b` is, 0 when they are the same tip. */
export function compareTips(a: TipLike, b: TipLike): number {
  if (a.height !== b.height) return b.height - a.height;
  return compareHashes(a.hash, b.hash);
}

/** Whether `candidate` beats `current` under the fork-choice rule. */
export function isBetterTip(candidate: TipLike, current: TipLike): boolean {
  return compareTips(candidate, current) < 0;
}

/**
 * Distinct peers that must report a winning tip before we abandon blocks for it:
 * `minPeers`, or every connected peer when fewer are connected, and never less than 1.
 */
export function requiredSupport(minPeers: number, connectedPeers: number): number {
  return Math.max(1, Math.min(minPeers, connectedPeers));
}

/** Peers grouped by the tip they report, best tip first; only tips better than `ours`. */
export interface TipGroup {
  readonly tip: TipLike;
  readonly peers: string[];
}

/**
 * `outranks` marks a tip whose chain holds a higher justified checkpoint than ours: it is a
 * candidate even when lower, and those come first.
 */
export function betterTipGroups<T extends TipLike>(
  ours: TipLike,
  tips: ReadonlyMap<string, T>,
  outranks: (tip: T) => boolean = () => false,
): TipGroup[] {
  const groups = new Map<string, TipGroup & { readonly outranks: boolean }>();
  for (const [peer, tip] of tips) {
    const ranks = outranks(tip);
    if (!ranks && !isBetterTip(tip, ours)) continue;
    const key = `${tip.height}:${Buffer.from(tip.hash).toString('hex')}`;
    let group = groups.get(key);
    if (!group) {
      group = { tip, peers: [], outranks: ranks };
      groups.set(key, group);
    }
    group.peers.push(peer);
  }
  return [...groups.values()].sort(
    (a, b) => Number(b.outranks) - Number(a.outranks) || compareTips(a.tip, b.tip),
  );
}
