/**
 * Fork choice: the highest valid chain wins; at equal height the lower tip hash (bytewise,
 * as unsigned big-endian numbers) wins. A switch that abandons blocks needs at least
 * `requiredSupport(minPeers, connected)` distinct peers reporting the winning tip.
 */
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

export function betterTipGroups(ours: TipLike, tips: ReadonlyMap<string, TipLike>): TipGroup[] {
  const groups = new Map<string, TipGroup>();
  for (const [peer, tip] of tips) {
    if (!isBetterTip(tip, ours)) continue;
    const key = `${tip.height}:${Buffer.from(tip.hash).toString('hex')}`;
    let group = groups.get(key);
    if (!group) {
      group = { tip, peers: [] };
      groups.set(key, group);
    }
    group.peers.push(peer);
  }
  return [...groups.values()].sort((a, b) => compareTips(a.tip, b.tip));
}
