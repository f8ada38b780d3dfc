import type { PeerConnectionRegistry } from '@tc/registry';
import { type KindBodies, u64, u64ToNumber } from '@tc/wire';
import { toHex } from '../bytes.js';
import { SeenFilter } from '../seen-filter.js';

export interface BlockRelayOptions {
  registry: Pick<PeerConnectionRegistry, 'send' | 'peers' | 'stream'>;
  /** Whether we hold the block (canonical or known). */
  has: (hash: Uint8Array) => boolean;
  /** Our tip's height: an announced block more than `fetchAhead` above it needs a sync, not a fetch. */
  tipHeight: () => number;
  /** How far above our tip an announced block is fetched (its missing parents come as a side branch). Default 1. */
  fetchAhead?: number;
  /** Hands a fetched block to the same path as a pushed one (validation, then relay). */
  accept: (peerId: string, bytes: Uint8Array) => void;
  /** An announced block we cannot fetch alone (we are behind): check peers' chains. */
  onGap: (peerId: string, height: number) => void;
  /** Peers a relayed (not produced) block goes to whole; the rest get its hash. Default 2. */
  pushPeers?: number;
  /** Block hashes remembered per peer as known to it. Default 1 024. */
  knownPerPeer?: number;
  /** Blocks being fetched at once. Default 16. */
  maxFetching?: number;
  /** Longest wait for a fetched block. Default 5 000 ms. */
  fetchTimeoutMs?: number;
  random?: () => number;
}

/**
 * Block relay with few duplicate receipts (as eth pushes whole to some peers and announces to
 * the rest): the producer pushes its block whole to every peer (the first hop decides how fast a
 * block spreads); a relayer pushes it whole to `pushPeers` (2) random peers not known to have it
 * and sends the others its hash (`blockInventory`); a peer that lacks an announced block fetches
 * it once, from the first announcer, with a one-block `getBlockRange`. So a node receives a
 * block whole about 1 + 2 times, whatever its peer count (the testnet measured 3.25 duplicates
 * per node per block with ⌈√peers⌉ pushes at 10–11 peers, and 5.25 with a push to every peer at
 * 7). Per-peer known sets, the fetch table and every wait are bounded; a failed fetch blames
 * nobody (the block also comes by push, a later announcement or sync).
 */
export class BlockRelay {
  private readonly known = new Map<string, SeenFilter>();
  private readonly fetching = new Set<string>();
  private readonly random: () => number;
  private stopped = false;

  constructor(private readonly o: BlockRelayOptions) {
    this.random = o.random ?? Math.random;
  }

  /**
   * Relays a block we connected: `produced` pushes it whole to everyone; `except`, the peer it
   * came from, holds it and is never sent it.
   */
  relay(
    bytes: Uint8Array,
    hash: Uint8Array,
    height: number,
    opts: { except?: string; produced?: boolean } = {},
  ): void {
    const key = toHex(hash);
    if (opts.except !== undefined) this.markKnown(opts.except, key);
    const targets = this.o.registry.peers().filter((p) => p.id !== opts.except && !this.knows(p.id, key));
    for (let i = targets.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [targets[i], targets[j]] = [targets[j]!, targets[i]!];
    }
    const push = opts.produced ? targets.length : (this.o.pushPeers ?? 2);
    targets.forEach((peer, i) => {
      this.markKnown(peer.id, key);
      const msg =
        i < push
          ? ({ kind: 'blockAnnounce', body: { block: bytes } } as const)
          : ({ kind: 'blockInventory', body: { hash, height: u64(height) } } as const);
      this.o.registry.send(peer.id, msg).catch(() => {});
    });
  }

  /** A peer sent us a block whole: it has it. */
  markKnown(peerId: string, key: string): void {
    let set = this.known.get(peerId);
    if (set === undefined) {
      set = new SeenFilter(this.o.knownPerPeer ?? 1_024);
      this.known.set(peerId, set);
    }
    set.add(key);
  }

  /** A peer announced a block by hash: fetch it once if we lack it. Never throws. */
  onInventory(peerId: string, body: KindBodies['blockInventory']): void {
    if (this.stopped || body.hash.length !== 32) return;
    let height: number;
    try {
      height = u64ToNumber(body.height);
    } catch {
      return;
    }
    const key = toHex(body.hash);
    this.markKnown(peerId, key);
    if (this.holds(body.hash) || this.fetching.has(key)) return;
    if (height > this.o.tipHeight() + (this.o.fetchAhead ?? 1)) {
      this.o.onGap(peerId, height);
      return;
    }
    if (this.fetching.size >= (this.o.maxFetching ?? 16)) return; // announced again by others
    this.fetching.add(key);
    void this.fetch(peerId, height, key).finally(() => this.fetching.delete(key));
  }

  peerDisconnected(peerId: string): void {
    this.known.delete(peerId);
  }

  /** Nothing more is fetched or accepted (the node is stopping). */
  stop(): void {
    this.stopped = true;
    this.known.clear();
  }

  /** Whether we hold the block; true when that cannot be told (a closing store): nothing to fetch then. */
  private holds(hash: Uint8Array): boolean {
    try {
      return this.o.has(hash);
    } catch {
      return true;
    }
  }

  private async fetch(peerId: string, height: number, key: string): Promise<void> {
    try {
      const stream = this.o.registry.stream(
        peerId,
        { kind: 'getBlockRange', body: { startHeight: u64(height), count: 1 } },
        { timeoutMs: this.o.fetchTimeoutMs ?? 5_000 },
      );
      for await (const chunk of stream) {
        const block = chunk.blocks?.[0];
        if (block && !this.stopped && !this.holds(Buffer.from(key, 'hex'))) this.o.accept(peerId, block);
        return;
      }
    } catch {
      // a race (it reorged, left) or a timeout: the block still comes by push, announcement or sync
    }
  }

  private knows(peerId: string, key: string): boolean {
    return this.known.get(peerId)?.has(key) ?? false;
  }
}
