import type { PeerConnectionRegistry } from '@tc/registry';
import { MAX_VOTES_PER_MESSAGE } from '@tc/wire';
import { type Vote, voteKey, voteToWire } from './vote.js';

export interface VoteRelayOptions {
  registry: Pick<PeerConnectionRegistry, 'send' | 'peers'>;
  /** Votes queued within this window go out in one `votes` message per peer. Default 20 ms (the node uses gossipWindowFor). */
  windowMs?: number;
  /** Votes waiting to go out; the oldest are dropped past it (later votes carry finality on). Default 4 096. */
  maxQueued?: number;
  /**
   * Peers a flush of relayed (not our own) votes goes to, at random among those lacking some
   * of them. Default 8 (gossipsub's mesh degree for attestations); our own votes go to every peer.
   */
  fanout?: number;
  random?: () => number;
}

interface Queued {
  readonly vote: Vote;
  /** Peers known to hold it: the one it came from, and any that sent a copy since. */
  readonly holders: Set<string>;
  /** Ours: it goes to every peer (the first hop decides how fast a vote spreads). */
  readonly own: boolean;
}

/** Peers a flush of relayed votes goes to (README 15): gossipsub's mesh degree. */
export const DEFAULT_VOTE_FANOUT = 8;

/**
 * Batches verified votes for peers: at most one `votes` message per peer per window. Our own
 * votes go to every peer; a relayed vote goes to `fanout` random peers (push gossip: each node
 * that first verifies a vote forwards it to `fanout` peers, so it reaches every node in a few
 * hops while each link carries it about once, not once per path), and never to a peer known to
 * hold it: its sender, and peers whose copy arrived while it waited (`heard`). The caller relays
 * each vote once (its seen-filter decides). Bounded queue, one timer.
 */
export class VoteRelay {
  private queue = new Map<string, Queued>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly windowMs: number;
  private readonly maxQueued: number;
  private readonly fanout: number;
  private readonly random: () => number;

  constructor(private readonly o: VoteRelayOptions) {
    this.windowMs = o.windowMs ?? 20;
    this.maxQueued = o.maxQueued ?? 4_096;
    this.fanout = Math.max(1, o.fanout ?? DEFAULT_VOTE_FANOUT);
    this.random = o.random ?? Math.random;
  }

  /** Queues votes: ours (no `from`) for every peer, relayed ones for `fanout` peers but `from`. */
  relay(votes: readonly Vote[], from?: string): void {
    if (this.stopped || votes.length === 0) return;
    for (const vote of votes) {
      const key = voteKey(vote);
      const queued = this.queue.get(key);
      if (queued) {
        if (from !== undefined) queued.holders.add(from);
        continue;
      }
      this.queue.set(key, {
        vote,
        holders: new Set(from === undefined ? [] : [from]),
        own: from === undefined,
      });
    }
    for (const key of this.queue.keys()) {
      if (this.queue.size <= this.maxQueued) break;
      this.queue.delete(key); // the oldest first (insertion order)
    }
    if (this.timer === undefined) {
      this.timer = setTimeout(() => this.flush(), this.windowMs);
      this.timer.unref();
    }
  }

  /** A copy of a queued vote came from `peerId`: it holds the vote, so it is not sent one. */
  heard(key: string, peerId: string): void {
    this.queue.get(key)?.holders.add(peerId);
  }

  /** Sends `votes` to one peer now (a new peer catching up), in messages of at most MAX_VOTES_PER_MESSAGE. */
  sendTo(peerId: string, votes: readonly Vote[]): void {
    for (let at = 0; at < votes.length; at += MAX_VOTES_PER_MESSAGE) {
      const batch = votes.slice(at, at + MAX_VOTES_PER_MESSAGE).map(voteToWire);
      this.o.registry.send(peerId, { kind: 'votes', body: { votes: batch } }).catch(() => {});
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.clear();
  }

  private flush(): void {
    this.timer = undefined;
    const queued = [...this.queue.values()];
    this.queue.clear();
    const peers = this.o.registry.peers().map((p) => p.id);
    // Shuffled once per flush: the relayed votes of one window share their `fanout` peers, so
    // a flush costs at most `fanout` messages (plus our own votes' peers), not one per peer.
    for (let i = peers.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [peers[i], peers[j]] = [peers[j]!, peers[i]!];
    }
    let relayedTo = 0;
    for (const peer of peers) {
      const lacking = queued.filter((q) => !q.holders.has(peer));
      const relayed = relayedTo < this.fanout;
      const votes = (relayed ? lacking : lacking.filter((q) => q.own)).map((q) => q.vote);
      if (votes.length === 0) continue;
      if (relayed && lacking.some((q) => !q.own)) relayedTo++;
      this.sendTo(peer, votes);
    }
  }
}
