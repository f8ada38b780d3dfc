import type { Batch } from './batch.js';

/** A sustained rate with a burst, in blocks (the registry's RateQuota shape). */
export interface BlockQuota {
  readonly ratePerSec: number;
  readonly burst: number;
}

/** A peer as sync sees it. */
export interface SyncPeer {
  readonly id: string;
  /** Height the peer announced; it is only asked for batches at or below it. */
  height: number;
  hash: Uint8Array;
  /** Batches being downloaded from it now. */
  inflight: number;
  /** Batches it served that were imported. */
  served: number;
  /** Ranges it failed. */
  failures: number;
  /** Not asked before this time (performance.now ms) — after it rate-limited us. */
  cooldownUntil: number;
  /** GCRA theoretical arrival time of our requests to it (performance.now ms). */
  tat: number;
  /** Last time a batch was assigned to it (round-robin among equals). */
  lastAssignedAt: number;
}

/**
 * Chooses the peer of each batch: only peers whose announced height covers the batch, that
 * have not failed it, that are connected, under `maxInflightPerPeer`, out of cooldown and
 * within our pacing of its inbound quota; among those the one with the fewest batches in
 * flight (then the fewest failures, then the least recently used).
 */
export class PeerBalancer {
  private readonly peers = new Map<string, SyncPeer>();

  constructor(
    private readonly opts: {
      readonly maxInflightPerPeer: number;
      /** Our pacing per peer (stay under its rate limit); undefined = no pacing. */
      readonly quota: BlockQuota | undefined;
      readonly isConnected: (peerId: string) => boolean;
      readonly now: () => number;
      readonly maxPeers: number;
    },
  ) {}

  /** Adds peers, or raises the height of known ones. Returns the highest height known. */
  upsert(list: ReadonlyArray<{ peerId: string; height: number; hash: Uint8Array }>): number {
    for (const p of list) {
      const known = this.peers.get(p.peerId);
      if (known) {
        if (p.height > known.height) {
          known.height = p.height;
          known.hash = p.hash;
        }
        continue;
      }
      if (this.peers.size >= this.opts.maxPeers) continue;
      this.peers.set(p.peerId, {
        id: p.peerId,
        height: p.height,
        hash: p.hash,
        inflight: 0,
        served: 0,
        failures: 0,
        cooldownUntil: 0,
        tat: 0,
        lastAssignedAt: 0,
      });
    }
    return this.maxHeight();
  }

  get(peerId: string): SyncPeer | undefined {
    return this.peers.get(peerId);
  }

  maxHeight(): number {
    let max = -1;
    for (const p of this.peers.values()) if (p.height > max) max = p.height;
    return max;
  }

  /** Connected peers whose height is at least `height`. */
  usefulCount(height: number): number {
    let n = 0;
    for (const p of this.peers.values()) if (p.height >= height && this.opts.isConnected(p.id)) n++;
    return n;
  }

  /** Whether some connected peer could still serve `batch` (now or later). */
  canServe(batch: Batch): boolean {
    for (const p of this.peers.values()) {
      if (p.height >= batch.end && !batch.failedPeers.has(p.id) && this.opts.isConnected(p.id)) return true;
    }
    return false;
  }

  /** The best peer for `batch` now, or undefined (see `wakeAt` for when one frees up). */
  pick(batch: Batch): SyncPeer | undefined {
    const now = this.opts.now();
    let best: SyncPeer | undefined;
    for (const p of this.peers.values()) {
      if (p.height < batch.end || batch.failedPeers.has(p.id)) continue;
      if (p.inflight >= this.opts.maxInflightPerPeer || p.cooldownUntil > now) continue;
      if (this.paceWait(p, batch.count, now) > 0 || !this.opts.isConnected(p.id)) continue;
      if (best === undefined || better(p, best)) best = p;
    }
    return best;
  }

  /**
   * Earliest time (performance.now ms) a connected peer leaves cooldown or pacing for `count`
   * blocks — `now` itself when one already has (its cooldown ran out between `pick` and this
   * call: on a loaded event loop it does, and a sync waiting for no timer hung), undefined when
   * every peer is busy with downloads (their ends pump).
   */
  wakeAt(count: number): number | undefined {
    const now = this.opts.now();
    let at: number | undefined;
    for (const p of this.peers.values()) {
      if (p.inflight >= this.opts.maxInflightPerPeer || !this.opts.isConnected(p.id)) continue;
      const t = Math.max(p.cooldownUntil, now + this.paceWait(p, count, now), now);
      if (at === undefined || t < at) at = t;
    }
    return at;
  }

  /** A batch of `count` blocks was assigned to `peer`. */
  charge(peer: SyncPeer, count: number): void {
    const now = this.opts.now();
    peer.inflight++;
    peer.lastAssignedAt = now;
    const q = this.opts.quota;
    if (q) peer.tat = Math.max(peer.tat, now) + (count * 1000) / q.ratePerSec;
  }

  release(peer: SyncPeer): void {
    peer.inflight = Math.max(0, peer.inflight - 1);
  }

  /** The peer rate-limited us: leave it alone for `ms` (and give back nothing). */
  coolDown(peer: SyncPeer, ms: number): void {
    peer.cooldownUntil = Math.max(peer.cooldownUntil, this.opts.now() + ms);
  }

  /** ms to wait before `count` more blocks fit the peer's quota (GCRA). */
  private paceWait(p: SyncPeer, count: number, now: number): number {
    const q = this.opts.quota;
    if (!q) return 0;
    const interval = 1000 / q.ratePerSec;
    const tat = Math.max(p.tat, now) + count * interval;
    // A batch larger than the burst is allowed from idle (else it would never be).
    const allowance = Math.max(q.burst, count) * interval;
    return Math.max(0, tat - allowance - now);
  }
}

function better(a: SyncPeer, b: SyncPeer): boolean {
  if (a.inflight !== b.inflight) return a.inflight < b.inflight;
  if (a.failures !== b.failures) return a.failures < b.failures;
  return a.lastAssignedAt < b.lastAssignedAt;
}
