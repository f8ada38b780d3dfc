import { EventEmitter } from 'node:events';
import { ConsensusError } from '../errors.js';
import { findCommonAncestor } from './ancestor-search.js';
import { ChainError, ForkSyncError } from './chain-errors.js';
import { betterTipGroups, requiredSupport, type TipGroup } from './fork-choice.js';
import type {
  ExtendSync,
  ForkCheckResult,
  ForkWatcherEvents,
  ForkWatcherOptions,
  SyncPeer,
} from './fork-watcher-types.js';
import { fetchBlockRange, type PeerTipAnswer, queryTips, remoteHashAt } from './peer-chain.js';
import type { ReorgResult } from './reorg.js';

/**
 * Detect → choose → apply. `check()` asks every peer for its tip; for each better tip
 * (higher, or same height with a lower hash; best first) it finds the common ancestor by
 * binary search, then either extends (the peer's chain contains our tip) or, when blocks
 * would be abandoned, requires `requiredSupport(minPeers, peers asked)` distinct peers
 * reporting that tip, fetches the branch and has the chain manager switch. Checks are
 * single-flight: a request during a check runs one more check after it.
 */
export class ForkWatcher extends EventEmitter<ForkWatcherEvents> {
  readonly minPeers: number;
  private readonly o: Required<
    Omit<ForkWatcherOptions, 'sync' | 'onPeerFault' | 'minPeers' | 'maxPlausibleHeight' | 'onCertificates'>
  >;
  private readonly sync: ExtendSync;
  private running: Promise<ForkCheckResult> | undefined;
  private again = false;
  private syncTarget: number | undefined;
  private stopped = false;
  private lastQueryAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: ForkWatcherOptions) {
    super();
    this.minPeers = Math.max(1, options.minPeers ?? 1);
    this.o = {
      api: options.api,
      chain: options.chain,
      requestTimeoutMs: options.requestTimeoutMs ?? 5_000,
      rangeBatch: Math.max(1, options.rangeBatch ?? 128),
      maxBranchBlocks: Math.max(1, options.maxBranchBlocks ?? 512),
      maxExtendBlocks: Math.max(1, options.maxExtendBlocks ?? 10_000),
      maxCandidates: Math.max(1, options.maxCandidates ?? 3),
      minCheckIntervalMs: Math.max(0, options.minCheckIntervalMs ?? 0),
    };
    this.sync = options.sync ?? ((peers) => this.fetchAndImport(peers));
  }

  /** Whether an extension sync is running, and towards which height. */
  get syncing(): { active: boolean; target: number | undefined } {
    return { active: this.syncTarget !== undefined, target: this.syncTarget };
  }

  stop(): void {
    this.stopped = true;
  }

  /** Runs a check now, or once more after the running one. Never rejects. */
  check(): Promise<ForkCheckResult> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    const run = async (): Promise<ForkCheckResult> => {
      let acted: ForkCheckResult | undefined;
      let last: ForkCheckResult = { action: 'none' };
      for (let i = 0; i < 4 && !this.stopped; i++) {
        await this.spaceQueries();
        if (this.stopped) break;
        this.again = false;
        last = await this.checkOnce().catch((): ForkCheckResult => ({ action: 'none' }));
        const progressed = last.action === 'reorg' || last.action === 'extended';
        if (progressed) acted ??= last;
        // A switch may leave us short of the best tip, and a request may have come in: look again.
        if (!this.again && !progressed) break;
      }
      const result = acted ?? last;
      this.emit('check', result);
      return result;
    };
    this.running = run().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Waits until `minCheckIntervalMs` has passed since the previous tip query started. */
  private async spaceQueries(): Promise<void> {
    const wait = this.lastQueryAt + this.o.minCheckIntervalMs - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    this.lastQueryAt = performance.now();
  }

  private async checkOnce(): Promise<ForkCheckResult> {
    const { chain, api } = this.o;
    const { tips, asked } = await queryTips(api, { timeoutMs: this.o.requestTimeoutMs });
    this.dropImplausible(tips);
    const ours = chain.tip();
    const justifiedEpoch = chain.justified().epoch;
    const groups = betterTipGroups(ours, tips, (t) => this.outranks(t, justifiedEpoch)).slice(
      0,
      this.o.maxCandidates,
    );
    let waiting: ForkCheckResult | undefined;
    for (const group of groups) {
      for (const peerId of group.peers.slice(0, 2)) {
        try {
          const result = await this.pursue(group, peerId, tips, asked);
          if (result.action === 'waiting-support') {
            waiting ??= result;
            break;
          }
          return result;
        } catch (error) {
          this.fault(peerId, error as Error);
        }
      }
    }
    return waiting ?? { action: 'none' };
  }

  private async pursue(
    group: TipGroup,
    peerId: string,
    tips: ReadonlyMap<string, PeerTipAnswer>,
    asked: number,
  ): Promise<ForkCheckResult> {
    const { chain, api } = this.o;
    const ours = chain.tip();
    // The search never looks below our finalized block: a chain without it is refused (README 15).
    const finalizedLow = chain.finalizedHeight > ours.height - chain.maxReorgDepth;
    const ancestor = await findCommonAncestor({
      localHashAt: (h) => chain.store.getBlockHash(h),
      remoteHashAt: (h) => remoteHashAt(api, peerId, h, this.o.requestTimeoutMs),
      high: Math.min(ours.height, group.tip.height),
      low: Math.max(0, ours.height - chain.maxReorgDepth, chain.finalizedHeight),
      peerId,
    }).catch((error: unknown) => {
      if (finalizedLow && error instanceof ForkSyncError && error.code === 'FORK_TOO_DEEP')
        throw new ForkSyncError('CONFLICTS_FINALIZED', `the peer's chain lacks our finalized block`, peerId);
      throw error;
    });
    if (ancestor.height === ours.height) {
      const peers = group.peers.map((p) => ({ peerId: p, ...tips.get(p)! }));
      return this.extend(peers, group.tip.height);
    }
    if (ancestor.height >= group.tip.height) return { action: 'none' }; // its chain is a prefix of ours
    // Fork choice (README 11): a branch without our justified checkpoint loses unless the peer
    // shows a higher one our votes prove. Decided here, before a branch is fetched in vain.
    const justified = chain.justified();
    if (
      Math.floor(justified.epoch / 2) > ancestor.height &&
      !this.outranks(tips.get(peerId)!, justified.epoch)
    ) {
      this.emit('fork:held', { peerId, height: group.tip.height, justifiedEpoch: justified.epoch });
      return { action: 'none' };
    }
    // Abandoning blocks: count distinct peers reporting the winning tip (same tip, or a
    // higher tip whose chain holds it).
    const support = new Set(group.peers);
    const higher = [...tips].filter(([p, t]) => !support.has(p) && t.height > group.tip.height);
    const confirmations = await Promise.all(
      higher.map(([p]) =>
        remoteHashAt(api, p, group.tip.height, this.o.requestTimeoutMs).catch(() => undefined),
      ),
    );
    higher.forEach(([p], i) => {
      const h = confirmations[i];
      if (h && Buffer.from(h).equals(Buffer.from(group.tip.hash))) support.add(p);
    });
    const required = requiredSupport(this.minPeers, asked);
    if (support.size < required) {
      this.emit('fork:waiting', { ...group.tip, support: support.size, required });
      return { action: 'waiting-support', height: group.tip.height, support: support.size, required };
    }
    const count = Math.min(group.tip.height - ancestor.height, this.o.maxBranchBlocks);
    const sources = [peerId, ...[...support].filter((p) => p !== peerId)];
    for (const source of sources.slice(0, 3)) {
      let result: ReorgResult;
      try {
        const branch = await this.fetchRange(source, ancestor.height + 1, count);
        result = await chain.reorg(branch, ancestor.height, source);
      } catch (error) {
        this.fault(source, error as Error);
        if (error instanceof ChainError) break; // our state or bounds, not this source
        continue;
      }
      if (group.tip.height > chain.tip().height) {
        await this.extend(
          [...support].map((p) => ({ peerId: p, ...tips.get(p)! })),
          group.tip.height,
        ).catch(() => undefined);
      }
      return { action: 'reorg', result };
    }
    return { action: 'none' };
  }

  private async extend(peers: SyncPeer[], target: number): Promise<ForkCheckResult> {
    const from = this.o.chain.tip().height;
    this.syncTarget = target;
    this.emit('sync:start', { target, peers: peers.map((p) => p.peerId) });
    let error: Error | undefined;
    try {
      await this.sync(peers);
    } catch (e) {
      error = e as Error;
      throw e;
    } finally {
      this.syncTarget = undefined;
      this.emit('sync:done', {
        height: this.o.chain.tip().height,
        target,
        ...(error ? { error } : {}),
      });
    }
    return { action: 'extended', from, to: this.o.chain.tip().height };
  }

  /** Built-in extension: consecutive ranges from the peers in turn, imported as they come. */
  private async fetchAndImport(peers: SyncPeer[]): Promise<void> {
    const { chain } = this.o;
    const target = Math.max(...peers.map((p) => p.height));
    const limit = chain.tip().height + this.o.maxExtendBlocks;
    let turn = 0;
    let failures = 0;
    while (!this.stopped && chain.tip().height < Math.min(target, limit) && failures < peers.length * 2) {
      const peer = peers[turn++ % peers.length]!;
      const start = chain.tip().height + 1;
      const count = Math.min(this.o.rangeBatch, Math.min(target, peer.height) - start + 1);
      if (count <= 0) {
        failures++;
        continue;
      }
      try {
        const blocks = await this.fetchRange(peer.peerId, start, count);
        if (blocks.length === 0) throw new ForkSyncError('BAD_RANGE_RESPONSE', 'empty range', peer.peerId);
        await chain.importBlocks(blocks, peer.peerId);
      } catch (error) {
        failures++;
        this.fault(peer.peerId, error as Error);
        if (error instanceof ChainError && error.code === 'STOPPED') return;
      }
    }
  }

  private fetchRange(peerId: string, start: number, count: number): Promise<Uint8Array[]> {
    const onCertificates = this.options.onCertificates;
    return fetchBlockRange(this.o.api, peerId, start, count, {
      timeoutMs: this.o.requestTimeoutMs,
      ...(onCertificates ? { onCertificates: (certs) => onCertificates(peerId, certs) } : {}),
    });
  }

  /** The peer's chain holds a justified checkpoint above ours (`ourEpoch`) that our votes prove. */
  private outranks(tip: PeerTipAnswer, ourEpoch: number): boolean {
    const claim = tip.justified;
    return claim !== undefined && claim.epoch > ourEpoch && this.o.chain.provesJustified(claim);
  }

  /** Claims the schedule rules out are misbehaviour, never a sync target. */
  private dropImplausible(tips: Map<string, PeerTipAnswer>): void {
    const bound = this.options.maxPlausibleHeight?.();
    if (bound === undefined) return;
    for (const [peerId, tip] of tips) {
      if (tip.height <= bound) continue;
      tips.delete(peerId);
      this.fault(
        peerId,
        new ForkSyncError(
          'IMPLAUSIBLE_TIP',
          `claims height ${tip.height}; no chain can be above ${bound} yet`,
          peerId,
        ),
      );
    }
  }

  private fault(peerId: string, error: Error): void {
    this.emit('fork:error', { peerId, error });
    if (error instanceof ConsensusError || error instanceof ForkSyncError) {
      this.options.onPeerFault?.(
        error instanceof ForkSyncError ? (error.peerId ?? peerId) : peerId,
        error.code,
        error.message,
      );
    }
  }
}
