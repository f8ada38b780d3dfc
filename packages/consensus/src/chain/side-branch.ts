import { bytesEqual, fromHex } from '../bytes.js';
import { ConsensusError } from '../errors.js';
import { ChainError, ForkSyncError } from './chain-errors.js';
import type { ChainManager } from './chain-manager.js';
import { isBetterTip } from './fork-choice.js';
import { fetchBlockRange, type PeerChainApi } from './peer-chain.js';
import type { ReorgResult } from './reorg.js';
import { type SideBlock, SideBlocks } from './side-blocks.js';

export interface SideBranchOptions {
  chain: Pick<ChainManager, 'tip' | 'store' | 'reorg' | 'importBlocks' | 'finalizedHeight'>;
  api: Pick<PeerChainApi, 'stream'>;
  blocks?: SideBlocks;
  /** Longest branch switched to here; deeper forks are left to the fork watcher. Default 16. */
  maxDepth?: number;
  /** Branches being resolved at once; more are left to later blocks and the fork watcher. Default 4. */
  maxResolving?: number;
  /** Longest wait for the missing ancestors of a branch. Default 5 000 ms. */
  fetchTimeoutMs?: number;
  /**
   * A resolution ended while a kept block that beats our tip waits (it came while `busy`):
   * offer it again, from the peer that sent it. A resolved block is forgotten, so each kept
   * block is resolved at most once and this never loops.
   */
  reoffer?: (block: SideBlock, from: string) => void;
}

/** What became of a block that did not extend our tip. */
export type SideBranchOutcome =
  | { readonly action: 'switched'; readonly result: ReorgResult; readonly tip: SideBlock }
  /** Its branch started at our tip (blocks we had missed): imported. */
  | { readonly action: 'extended'; readonly imported: number; readonly tip: SideBlock }
  /** Its branch does not beat our chain (kept: a child may make it win). */
  | { readonly action: 'worse' }
  /** Its branch is being resolved already, or too many are. */
  | { readonly action: 'busy' }
  /** Its branch could not be joined to our chain here: a fork check is the way on. */
  | { readonly action: 'unresolved'; readonly reason: string }
  /** The peer sent an invalid block or range. */
  | { readonly action: 'invalid'; readonly code: string };

/**
 * Switches to a better branch from blocks in hand. A block that did not extend our tip is kept
 * (SideBlocks); if its branch beats our chain, the branch is walked back through the kept
 * blocks to our canonical chain, the few missing ancestors (at most `maxDepth`) are fetched in
 * one range from the peer that sent it, and the chain manager switches (which validates the
 * whole branch and applies fork choice again). The 32-node testnet under load connected 650 of
 * 2,300 block arrivals by reorg, p50 17 s after the first node had the block, because every
 * competing block cost a fork check: every peer's tip, a binary search by round trips, then the
 * branch. Here the usual one- or two-block fork costs no round trip, or one.
 */
export class SideBranch {
  readonly blocks: SideBlocks;
  private readonly maxDepth: number;
  private readonly maxResolving: number;
  private readonly resolving = new Set<string>();

  constructor(private readonly o: SideBranchOptions) {
    this.blocks = o.blocks ?? new SideBlocks();
    this.maxDepth = Math.max(1, o.maxDepth ?? 16);
    this.maxResolving = Math.max(1, o.maxResolving ?? 4);
  }

  /** Keeps `bytes`, a block that did not extend our tip, and switches to its branch if it wins. Never throws. */
  async offer(bytes: Uint8Array, peerId: string): Promise<SideBranchOutcome> {
    const block = this.blocks.add(bytes, peerId);
    if (!block) return { action: 'invalid', code: 'MALFORMED_BLOCK' };
    if (!this.beatsTip(block)) return { action: 'worse' };
    if (block.height > this.o.chain.tip().height + this.maxDepth) {
      this.blocks.delete(block.hash); // a sync's business, not a side branch's
      return { action: 'unresolved', reason: 'far ahead' };
    }
    if (this.resolving.has(block.hash) || this.resolving.size >= this.maxResolving) return { action: 'busy' };
    this.resolving.add(block.hash);
    try {
      return await this.resolve(block, peerId);
    } finally {
      this.resolving.delete(block.hash);
      // Resolved once, whatever came of it (switched, refused by fork choice, left to a fork
      // check): never offered again from here, so re-offers cannot loop.
      this.blocks.delete(block.hash);
      this.reofferWaiting();
    }
  }

  private reofferWaiting(): void {
    const best = this.blocks.best();
    if (!best?.from || !this.o.reoffer || this.resolving.has(best.hash) || !this.beatsTip(best)) return;
    this.o.reoffer(best, best.from);
  }

  /** Whether `block` is a better tip than ours (height, then hash): only then is its branch worth resolving. */
  private beatsTip(block: SideBlock): boolean {
    return isBetterTip({ height: block.height, hash: fromHex(block.hash) }, this.o.chain.tip());
  }

  private async resolve(tip: SideBlock, peerId: string): Promise<SideBranchOutcome> {
    let walk = this.walk(tip);
    if ('missing' in walk) {
      const low = walk.missing;
      const start = Math.max(this.o.chain.finalizedHeight + 1, low.height - (this.maxDepth - walk.length));
      if (start >= low.height) return { action: 'unresolved', reason: 'fork below reach' };
      try {
        const range = await fetchBlockRange(this.o.api, peerId, start, low.height - start, {
          timeoutMs: this.o.fetchTimeoutMs ?? 5_000,
        });
        for (const bytes of range) this.blocks.add(bytes, peerId);
      } catch (error) {
        if (error instanceof ForkSyncError) return { action: 'invalid', code: error.code };
        return { action: 'unresolved', reason: 'ancestors not fetched' };
      }
      walk = this.walk(tip);
      if ('missing' in walk) return { action: 'unresolved', reason: 'branch does not join our chain' };
    }
    const { branch, forkHeight } = walk;
    const { chain } = this.o;
    if (forkHeight < chain.finalizedHeight) return { action: 'worse' };
    const bytes = branch.map((b) => b.bytes);
    let outcome: SideBranchOutcome;
    try {
      outcome =
        forkHeight === chain.tip().height
          ? { action: 'extended', imported: (await chain.importBlocks(bytes, peerId)).imported, tip }
          : { action: 'switched', result: await chain.reorg(bytes, forkHeight, peerId), tip };
    } catch (error) {
      if (error instanceof ConsensusError) return { action: 'invalid', code: error.code };
      if (error instanceof ChainError && error.code === 'BRANCH_NOT_BETTER') return { action: 'worse' };
      return { action: 'unresolved', reason: (error as Error).message };
    }
    for (const b of branch) this.blocks.delete(b.hash);
    return outcome;
  }

  /** The kept blocks from our canonical chain up to `tip`, or the lowest one whose parent is missing. */
  private walk(
    tip: SideBlock,
  ): { branch: SideBlock[]; forkHeight: number } | { missing: SideBlock; length: number } {
    const branch: SideBlock[] = [];
    let cur: SideBlock | undefined = tip;
    while (cur && branch.length < this.maxDepth) {
      branch.unshift(cur);
      const parentHeight = cur.height - 1;
      const canonical = parentHeight >= 0 ? this.o.chain.store.getBlockHash(parentHeight) : undefined;
      if (canonical && bytesEqual(canonical, fromHex(cur.prevHash)))
        return { branch, forkHeight: parentHeight };
      const parent = this.blocks.get(cur.prevHash);
      if (!parent || parent.height !== parentHeight) return { missing: cur, length: branch.length };
      cur = parent;
    }
    return { missing: branch[0]!, length: branch.length };
  }
}
