import type { PeerConnectionRegistry } from '@tc/registry';
import { MAX_VOTES_PER_MESSAGE } from '@tc/wire';
import { type Vote, voteToWire } from './vote.js';

export interface VoteRelayOptions {
  registry: Pick<PeerConnectionRegistry, 'send' | 'peers'>;
  /** Votes queued within this window go out in one `votes` message per peer. Default 20 ms. */
  windowMs?: number;
  /** Votes waiting to go out; the oldest are dropped past it (later votes carry finality on). Default 4 096. */
  maxQueued?: number;
}

interface Queued {
  readonly vote: Vote;
  /** The peer it came from (not sent back to it); undefined for our own votes. */
  readonly from: string | undefined;
}

/**
 * Batches verified votes for every peer: one `votes` message per peer per window, each vote
 * sent to every peer but the one it came from. The caller relays each vote once (its
 * seen-filter decides); this only batches. Bounded queue, one timer.
 */
export class VoteRelay {
  private queue: Queued[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly windowMs: number;
  private readonly maxQueued: number;

  constructor(private readonly o: VoteRelayOptions) {
    this.windowMs = o.windowMs ?? 20;
    this.maxQueued = o.maxQueued ?? 4_096;
  }

  /** Queues votes for every peer except `from`. */
  relay(votes: readonly Vote[], from?: string): void {
    if (this.stopped || votes.length === 0) return;
    for (const vote of votes) this.queue.push({ vote, from });
    if (this.queue.length > this.maxQueued) this.queue.splice(0, this.queue.length - this.maxQueued);
    if (this.timer === undefined) {
      this.timer = setTimeout(() => this.flush(), this.windowMs);
      this.timer.unref();
    }
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
    this.queue = [];
  }

  private flush(): void {
    this.timer = undefined;
    const queued = this.queue;
    this.queue = [];
    for (const peer of this.o.registry.peers()) {
      const votes = queued.filter((q) => q.from !== peer.id).map((q) => q.vote);
      if (votes.length > 0) this.sendTo(peer.id, votes);
    }
  }
}
