import { MARK_HAS, MARK_KNOWN, TxidMarks } from './txid-marks.js';

export interface PeerAnnouncerOptions {
  /** Ids queued within this window go out in one message. */
  windowMs: number;
  maxIdsPerMessage: number;
  /** Ids waiting for one peer; the oldest are dropped past it (the re-announce covers them). */
  maxQueuedPerPeer: number;
  /** Ids remembered per peer as known to it (it announced them, or we did). */
  knownPerPeer: number;
  send(peerId: string, txids: Uint8Array[]): Promise<void>;
}

interface PeerQueue {
  ids: Uint8Array[];
  /** Ids announced to the peer or by it (MARK_KNOWN), and those it holds (MARK_HAS). */
  readonly marks: TxidMarks;
  timer: NodeJS.Timeout | undefined;
  sending: boolean;
}

/**
 * Per-peer batching of transaction announcements: ids go out in one TxInventory per window
 * (tens of ms), bounded by count, instead of one socket write per transaction. Remembers per
 * peer which ids it already knows, so nothing is announced to a peer twice unless asked
 * (`force`, for new peers and re-announcements). Every queue and filter is bounded.
 */
export class PeerAnnouncer {
  private readonly peers = new Map<string, PeerQueue>();
  private stopped = false;

  constructor(private readonly o: PeerAnnouncerOptions) {}

  /** `force`: announce even ids the peer was told of already, unless it holds them. */
  queue(peerId: string, txids: readonly Uint8Array[], force: boolean): void {
    if (this.stopped || txids.length === 0) return;
    const q = this.queueOf(peerId);
    for (const id of txids) {
      const had = q.marks.mark(id, MARK_KNOWN);
      if ((had & MARK_KNOWN) === 0 || (force && (had & MARK_HAS) === 0)) q.ids.push(id);
    }
    this.schedule(peerId, q);
  }

  /**
   * Push gossip: each id goes to `fanout` of `peerIds` that were not told of it yet, starting
   * from a random one. Every node that admits a transaction passes it on, so it still reaches
   * every node (and the re-announcement catches any it missed), at `fanout` announcements per
   * node instead of one per peer.
   */
  queueSome(peerIds: readonly string[], txids: readonly Uint8Array[], fanout: number): void {
    if (this.stopped || txids.length === 0 || peerIds.length === 0) return;
    const queues = peerIds.map((id) => this.queueOf(id));
    for (const id of txids) {
      let sent = 0;
      const start = Math.floor(Math.random() * queues.length);
      for (let i = 0; i < queues.length && sent < fanout; i++) {
        const q = queues[(start + i) % queues.length]!;
        if ((q.marks.mark(id, MARK_KNOWN) & MARK_KNOWN) !== 0) continue;
        q.ids.push(id);
        sent++;
      }
    }
    for (let i = 0; i < queues.length; i++) this.schedule(peerIds[i]!, queues[i]!);
  }

  private schedule(peerId: string, q: PeerQueue): void {
    if (q.ids.length > this.o.maxQueuedPerPeer) q.ids.splice(0, q.ids.length - this.o.maxQueuedPerPeer);
    if (q.ids.length >= this.o.maxIdsPerMessage) this.flush(peerId, q);
    else if (q.ids.length > 0 && q.timer === undefined) {
      q.timer = setTimeout(() => {
        q.timer = undefined;
        this.flush(peerId, q);
      }, this.o.windowMs);
      q.timer.unref();
    }
  }

  /** The peer announced or fetched `txid`: never announce it to the peer, not even when re-announcing. */
  markHeld(peerId: string, txid: Uint8Array): void {
    this.queueOf(peerId).marks.mark(txid, MARK_KNOWN | MARK_HAS);
  }

  forget(peerId: string): void {
    const q = this.peers.get(peerId);
    if (q?.timer) clearTimeout(q.timer);
    this.peers.delete(peerId);
  }

  stop(): void {
    this.stopped = true;
    for (const q of this.peers.values()) if (q.timer) clearTimeout(q.timer);
    this.peers.clear();
  }

  private queueOf(peerId: string): PeerQueue {
    let q = this.peers.get(peerId);
    if (q === undefined) {
      q = {
        ids: [],
        marks: new TxidMarks(this.o.knownPerPeer),
        timer: undefined,
        sending: false,
      };
      this.peers.set(peerId, q);
    }
    return q;
  }

  /** Sends what is queued, one message at a time per peer (send waits on the peer's drain). */
  private flush(peerId: string, q: PeerQueue): void {
    if (q.timer) {
      clearTimeout(q.timer);
      q.timer = undefined;
    }
    if (q.sending || q.ids.length === 0 || this.peers.get(peerId) !== q) return;
    const batch = q.ids.splice(0, this.o.maxIdsPerMessage);
    q.sending = true;
    this.o
      .send(peerId, batch)
      .catch(() => undefined) // disconnected or too slow: the registry handles the peer
      .finally(() => {
        q.sending = false;
        if (q.ids.length > 0) this.flush(peerId, q);
      });
  }
}
