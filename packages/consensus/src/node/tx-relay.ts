import type { PeerConnectionRegistry } from '@tc/registry';
import { MAX_TXIDS_PER_MESSAGE } from '@tc/wire';
import { toHex } from '../bytes.js';
import { ConsensusError } from '../errors.js';
import { FifoRing } from '../fifo-ring.js';
import type { Mempool, MempoolAddResult } from '../mempool.js';
import type { SeenFilter } from '../seen-filter.js';
import type { AdmissionQueue } from './admission-queue.js';
import { PeerAnnouncer } from './peer-announcer.js';

export interface TxRelayOptions {
  registry: Pick<PeerConnectionRegistry, 'send' | 'request' | 'peers'>;
  mempool: Mempool;
  admission: AdmissionQueue;
  /** Ids validated, being validated or known bad: never fetched again. */
  seen: SeenFilter;
  /** Announcement window per peer: ids queued within it go in one TxInventory (default 25 ms). */
  windowMs?: number;
  /** Most ids in one TxInventory or GetTxs (default 1 024; the wire allows 4 096). */
  maxIdsPerMessage?: number;
  /** Timeout of one GetTxs (default 5 000 ms); the ids are then asked of another announcer. */
  fetchTimeoutMs?: number;
  /** Ids being fetched at once, all peers together (default 20 000); more are not asked for. */
  maxFetching?: number;
  /**
   * A pending transaction is announced again to peers not known to hold it after this long
   * (default 10 000 ms), then after twice as long each time, up to `maxReannounceMs`.
   */
  reannounceMs?: number;
  /** Longest wait between two re-announcements of one transaction (default 160 000 ms). */
  maxReannounceMs?: number;
  /**
   * Peers a transaction admitted from a peer is announced to (default DEFAULT_TX_FANOUT, 8);
   * our own submissions, re-announcements and new peers go to every peer.
   */
  fanout?: number;
  onTxs?: (result: 'admitted' | 'rejected' | 'seen' | 'dropped', n: number) => void;
  onPeerFault?: (peerId: string, code: string) => void;
  now?: () => number;
}

/**
 * Peers a relayed transaction is announced to. On the 32-node testnet (8–31 peers a node),
 * announcing to every peer made 18 announcements per transaction at every node; 8 random
 * peers still reach every node through the others (push gossip), and the re-announcement
 * reaches any node it missed.
 */
export const DEFAULT_TX_FANOUT = 8;

/** Announcers remembered per id being fetched: the first is asked, the rest are fallbacks. */
const MAX_SOURCES = 4;

interface Fetch {
  readonly id: Uint8Array;
  readonly sources: string[];
  asking: string | undefined;
}

/**
 * Transaction relay by inventory (Bitcoin's inv/getdata, eth/68's pooled hashes): an admitted
 * transaction's id is announced to each peer that may not have it, in per-peer batches; a
 * peer fetches the bodies it lacks with GetTxs from one announcer at a time, falling back to
 * the others, so a body crosses each link about once. Ids are marked seen when their
 * validation starts, so copies racing in are never verified twice. Pending transactions are
 * announced to every new peer and again to everyone while they stay pending, so a transaction
 * a mempool admitted is relayed until it is in a block or evicted.
 */
export class TxRelay {
  private readonly fetching = new Map<string, Fetch>();
  private readonly announcer: PeerAnnouncer;
  private readonly maxIds: number;
  private readonly fetchTimeoutMs: number;
  private readonly maxFetching: number;
  private readonly reannounceMs: number;
  private readonly maxReannounceMs: number;
  private readonly now: () => number;
  private readonly fanout: number;
  private reannounceTimer: NodeJS.Timeout | undefined;
  /** Per announced id: when it is next announced again, and the wait after that. */
  private readonly reannounceAt = new Map<string, { at: number; waitMs: number }>();
  private readonly announcedOrder: FifoRing;

  constructor(private readonly o: TxRelayOptions) {
    this.maxIds = Math.min(MAX_TXIDS_PER_MESSAGE, o.maxIdsPerMessage ?? 1_024);
    this.fetchTimeoutMs = o.fetchTimeoutMs ?? 5_000;
    this.maxFetching = o.maxFetching ?? 20_000;
    this.reannounceMs = o.reannounceMs ?? 10_000;
    this.maxReannounceMs = Math.max(this.reannounceMs, o.maxReannounceMs ?? 160_000);
    this.now = o.now ?? Date.now;
    this.fanout = o.fanout ?? DEFAULT_TX_FANOUT;
    this.announcedOrder = new FifoRing(4 * o.mempool.maxCount);
    this.announcer = new PeerAnnouncer({
      windowMs: o.windowMs ?? 25,
      maxIdsPerMessage: this.maxIds,
      maxQueuedPerPeer: Math.max(4_096, 2 * o.mempool.maxCount),
      knownPerPeer: Math.max(8_192, o.mempool.maxCount),
      send: (peerId, txids) => this.o.registry.send(peerId, { kind: 'txInventory', body: { txids } }),
    });
  }

  /** Ids being fetched now (all peers). */
  get fetchingCount(): number {
    return this.fetching.size;
  }

  start(): void {
    if (this.reannounceTimer) return;
    this.reannounceTimer = setInterval(() => this.reannounce(), Math.max(1_000, this.reannounceMs / 2));
    this.reannounceTimer.unref();
  }

  stop(): void {
    if (this.reannounceTimer) clearInterval(this.reannounceTimer);
    this.reannounceTimer = undefined;
    this.announcer.stop();
  }

  /** A new peer: it learns every pending txid (it asks for the ones it lacks). */
  peerConnected(peerId: string): void {
    this.announcer.forget(peerId);
    this.announcer.queue(
      peerId,
      this.o.mempool.pending(this.o.mempool.count).map((e) => e.txid),
      true,
    );
  }

  peerDisconnected(peerId: string): void {
    this.announcer.forget(peerId);
    for (const [key, f] of this.fetching) {
      const at = f.sources.indexOf(peerId);
      if (at >= 0) f.sources.splice(at, 1);
      if (f.asking === peerId) f.asking = undefined;
      if (f.asking === undefined) this.retry(key, f);
    }
  }

  /**
   * Announces admitted transactions to peers not known to have them: our own submissions to
   * every peer, transactions relayed from `from` to `fanout` of the others.
   */
  announce(txids: readonly Uint8Array[], from?: string): void {
    if (txids.length === 0) return;
    const now = this.now();
    for (const id of txids) this.rememberAnnounced(toHex(id), now);
    const peers = this.o.registry.peers();
    if (from === undefined) {
      for (const peer of peers) this.announcer.queue(peer.id, txids, false);
      return;
    }
    const others = peers.filter((p) => p.id !== from).map((p) => p.id);
    this.announcer.queueSome(others, txids, this.fanout);
  }

  /** A peer's TxInventory: fetch what we lack from it (or queue it as a fallback source). */
  onInventory(peerId: string, txids: readonly Uint8Array[]): void {
    const ask: Uint8Array[] = [];
    let known = 0;
    for (const id of txids.slice(0, MAX_TXIDS_PER_MESSAGE)) {
      if (id.length !== 32) {
        this.o.onPeerFault?.(peerId, 'MALFORMED_TX');
        return;
      }
      this.announcer.markHeld(peerId, id);
      const key = toHex(id);
      if (this.o.seen.has(key)) {
        known++;
        continue;
      }
      const f = this.fetching.get(key);
      if (f) {
        if (f.sources.length < MAX_SOURCES && !f.sources.includes(peerId)) f.sources.push(peerId);
        continue;
      }
      if (this.fetching.size >= this.maxFetching) continue; // announced again later
      this.fetching.set(key, { id, sources: [peerId], asking: peerId });
      ask.push(id);
    }
    if (known > 0) this.o.onTxs?.('seen', known);
    for (let i = 0; i < ask.length; i += this.maxIds) this.fetch(peerId, ask.slice(i, i + this.maxIds));
  }

  private fetch(peerId: string, ids: Uint8Array[]): void {
    this.o.registry
      .request(peerId, { kind: 'getTxs', body: { txids: ids } }, { timeoutMs: this.fetchTimeoutMs })
      .then(
        (answer) => this.received(peerId, ids, answer.txs),
        () => this.failed(peerId, ids),
      )
      .catch(() => undefined);
  }

  private async received(peerId: string, ids: Uint8Array[], txs: readonly Uint8Array[]): Promise<void> {
    const asked = new Set(ids.map((id) => toHex(id)));
    const bodies = txs.slice(0, ids.length);
    // Validation starts now: mark every asked id seen, so a copy announced meanwhile is skipped.
    for (const key of asked) {
      const f = this.fetching.get(key);
      if (f?.asking === peerId) this.fetching.delete(key);
      this.o.seen.add(key);
    }
    let results: MempoolAddResult[] = [];
    if (bodies.length > 0) results = await this.o.admission.add(bodies);
    const admitted: Uint8Array[] = [];
    let rejected = 0;
    let busy = 0;
    let faulted = false;
    results.forEach((r) => {
      if (r.ok) {
        admitted.push(r.txid);
        asked.delete(toHex(r.txid));
      } else if (r.error.code === 'MEMPOOL_BUSY') {
        busy++;
      } else {
        rejected++;
        if (r.txid) asked.delete(toHex(r.txid));
        if (!faulted && r.error instanceof ConsensusError) {
          faulted = true;
          this.o.onPeerFault?.(peerId, r.error.code);
        }
      }
    });
    // Ids the peer no longer had, or that we could not validate now: forget them, so that
    // the next announcement (a re-announce, or another peer) fetches them again.
    for (const key of asked) this.o.seen.delete(key);
    this.o.onTxs?.('admitted', admitted.length);
    if (rejected > 0) this.o.onTxs?.('rejected', rejected);
    if (busy > 0) this.o.onTxs?.('dropped', busy);
    this.announce(admitted, peerId);
  }

  private failed(peerId: string, ids: Uint8Array[]): void {
    for (const id of ids) {
      const key = toHex(id);
      const f = this.fetching.get(key);
      if (!f || f.asking !== peerId) continue;
      f.sources.splice(f.sources.indexOf(peerId), 1);
      f.asking = undefined;
      this.retry(key, f);
    }
  }

  /** Asks the next announcer of `f`, or forgets it (a later announcement starts afresh). */
  private retry(key: string, f: Fetch): void {
    const next = f.sources[0];
    if (next === undefined) {
      this.fetching.delete(key);
      return;
    }
    f.asking = next;
    this.fetch(next, [f.id]);
  }

  private rememberAnnounced(key: string, now: number): void {
    if (this.reannounceAt.has(key)) return;
    // Only this method adds keys and only the ring removes them, so its oldest is the map's.
    this.announcedOrder.push(key);
    if (this.announcedOrder.evictedKey !== undefined)
      this.reannounceAt.delete(this.announcedOrder.evictedKey);
    this.reannounceAt.set(key, { at: now + this.reannounceMs, waitMs: this.reannounceMs });
  }

  /** `peerId` fetched these from us (getTxs): it holds them, so they are never announced to it again. */
  servedTo(peerId: string, txids: readonly Uint8Array[]): void {
    for (const id of txids) this.announcer.markHeld(peerId, id);
  }

  /**
   * Pending transactions whose time has come are announced again to every peer not known to
   * hold them (it announced them to us, or fetched them from us), each time after twice the
   * wait before. A saturated network keeps many transactions pending: re-announcing all of them
   * to everyone every 10 s was most of its traffic (the 32-node testnet at 200 tx/s: 40
   * announcements received per transaction and node), which slowed it further.
   */
  private reannounce(): void {
    const now = this.now();
    const stale: Uint8Array[] = [];
    for (const entry of this.o.mempool.pending(this.o.mempool.count)) {
      const key = toHex(entry.txid);
      const next = this.reannounceAt.get(key);
      if (next === undefined) this.rememberAnnounced(key, now);
      else if (now >= next.at) {
        stale.push(entry.txid);
        const waitMs = Math.min(2 * next.waitMs, this.maxReannounceMs);
        this.reannounceAt.set(key, { at: now + waitMs, waitMs });
      }
    }
    if (stale.length === 0) return;
    for (const peer of this.o.registry.peers()) this.announcer.queue(peer.id, stale, true);
  }
}
