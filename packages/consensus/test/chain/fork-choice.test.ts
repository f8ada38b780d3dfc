import { describe, expect, it } from 'vitest';
import {
  betterTipGroups,
  compareTips,
  ForkSyncError,
  findCommonAncestor,
  isBetterTip,
  requiredSupport,
} from '../../src/internal.js';

const h = (n: number, tag = 0): Uint8Array => {
  const out = new Uint8Array(32);
  new DataView(out.buffer).setUint32(0, tag);
  new DataView(out.buffer).setUint32(28, n);
  return out;
};

/** A chain of `length + 1` hashes (0..length) that follows `base` up to `forkAt` and then its own tag. */
function chain(length: number, tag: number, base?: Uint8Array[], forkAt = -1): Uint8Array[] {
  return Array.from({ length: length + 1 }, (_, i) => (base && i <= forkAt ? base[i]! : h(i, tag)));
}

function search(ours: Uint8Array[], theirs: Uint8Array[], low?: number) {
  let calls = 0;
  const promise = findCommonAncestor({
    localHashAt: (height) => ours[height],
    remoteHashAt: async (height) => {
      calls++;
      return theirs[height];
    },
    high: Math.min(ours.length, theirs.length) - 1,
    ...(low !== undefined ? { low } : {}),
  });
  return promise.then((r) => ({ ...r, calls }));
}

describe('fork choice rule', () => {
  it('prefers the higher tip, then the lower hash', () => {
    const low = { height: 10, hash: h(1, 1) };
    const high = { height: 10, hash: h(1, 2) };
    expect(isBetterTip({ height: 11, hash: h(9, 9) }, low)).toBe(true);
    expect(isBetterTip(low, high)).toBe(true);
    expect(isBetterTip(high, low)).toBe(false);
    expect(isBetterTip(low, low)).toBe(false);
    expect(compareTips(low, low)).toBe(0);
  });

  it('requires minPeers distinct peers, or every connected peer when fewer, at least 1', () => {
    expect(requiredSupport(2, 5)).toBe(2);
    expect(requiredSupport(2, 1)).toBe(1);
    expect(requiredSupport(2, 0)).toBe(1);
    expect(requiredSupport(3, 2)).toBe(2);
  });

  it('groups peers by tip, best first, leaving out tips that do not beat ours', () => {
    const ours = { height: 5, hash: h(5, 5) };
    const tips = new Map([
      ['a', { height: 7, hash: h(7, 2) }],
      ['b', { height: 7, hash: h(7, 2) }],
      ['c', { height: 7, hash: h(7, 1) }],
      ['d', { height: 5, hash: h(5, 9) }],
      ['e', { height: 5, hash: h(5, 1) }],
      ['f', { height: 4, hash: h(4, 1) }],
    ]);
    const groups = betterTipGroups(ours, tips);
    expect(groups.map((g) => g.peers)).toEqual([['c'], ['a', 'b'], ['e']]);
  });
});

describe('common ancestor search', () => {
  it('needs one round trip when the peer extends our chain', async () => {
    const ours = chain(1_000, 1);
    const theirs = [...ours, h(1_001, 2), h(1_002, 2)];
    const r = await search(ours, theirs);
    expect(r.height).toBe(1_000);
    expect(r.calls).toBe(1);
  });

  it('finds the fork point in O(log n) round trips', async () => {
    for (const [length, forkAt] of [
      [10_000, 6_789],
      [10_000, 0],
      [10_000, 9_999],
      [100_000, 12_345],
      [7, 3],
    ] as const) {
      const ours = chain(length, 1);
      const theirs = chain(length + 5, 2, ours, forkAt);
      const r = await search(ours, theirs);
      expect(r.height).toBe(forkAt);
      expect(r.roundTrips).toBe(r.calls);
      expect(r.calls).toBeLessThanOrEqual(1 + Math.ceil(Math.log2(length)));
    }
  });

  it('searches only the reorg window and reports a deeper fork', async () => {
    const ours = chain(1_000, 1);
    const inWindow = chain(1_010, 2, ours, 950);
    const r = await search(ours, inWindow, 900);
    expect(r.height).toBe(950);
    expect(r.calls).toBeLessThanOrEqual(2 + Math.ceil(Math.log2(100)));
    const deep = chain(1_010, 2, ours, 500);
    await expect(search(ours, deep, 900)).rejects.toMatchObject({ code: 'FORK_TOO_DEEP' });
    await expect(search(ours, deep, 900)).rejects.toBeInstanceOf(ForkSyncError);
  });

  it('treats a missing remote block as disagreement', async () => {
    const ours = chain(100, 1);
    const theirs: (Uint8Array | undefined)[] = chain(100, 1);
    for (let i = 40; i <= 100; i++) theirs[i] = undefined;
    const r = await search(ours, theirs as Uint8Array[]);
    expect(r.height).toBe(39);
  });
});
