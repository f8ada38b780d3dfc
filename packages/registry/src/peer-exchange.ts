import { type KindBodies, u64 } from '@tc/wire';
import { formatAddress, parseAddress } from './address.js';
import type { AddressBook } from './address-book.js';
import type { Session } from './session.js';

type SharedPeer = KindBodies['peers']['peers'][number];

/** Largest getPeers answer we send or accept. */
export const MAX_SHARED_PEERS = 64;

/** Entries in a getPeers answer for a request of `max` (0: 32), never above MAX_SHARED_PEERS. */
export function sharedCount(max: number): number {
  return Math.min(Math.max(1, max || 32), MAX_SHARED_PEERS);
}

/** Addresses we share in answer to getPeers: live dialable peers first, then the book. */
export function sharedPeers(
  sessions: Iterable<Session>,
  book: AddressBook,
  max: number,
  except: string,
): SharedPeer[] {
  const n = sharedCount(max);
  const out: SharedPeer[] = [];
  const seen = new Set<string>();
  const push = (address: string, nodeId: string | undefined, lastSeenMs: number) => {
    if (out.length >= n || seen.has(address)) return;
    seen.add(address);
    try {
      const { host, port } = parseAddress(address);
      out.push({
        host,
        port,
        nodeId: nodeId ? Buffer.from(nodeId, 'hex') : new Uint8Array(0),
        lastSeenMs: u64(Math.max(0, Math.floor(lastSeenMs))),
      } as SharedPeer);
    } catch {
      // not shareable
    }
  };
  for (const s of sessions) if (s.peerId !== except && s.dialable) push(s.address, s.peerId, Date.now());
  for (const r of book.candidates(n, (r) => r.failures > 0 || r.nodeId === except)) {
    push(r.address, r.nodeId, r.lastSeenMs);
  }
  return out;
}

/** Validated [address, nodeId hex, lastSeenMs] entries of a getPeers answer (at most 64). */
export function learnedPeers(answer: KindBodies['peers']): Array<[string, string | undefined, number]> {
  const out: Array<[string, string | undefined, number]> = [];
  for (const p of answer.peers.slice(0, MAX_SHARED_PEERS)) {
    const host = p.host ?? '';
    const port = p.port ?? 0;
    if (!(port > 0 && port <= 65535) || host.length === 0 || host.length > 255) continue;
    const nodeId = p.nodeId?.length === 32 ? Buffer.from(p.nodeId).toString('hex') : undefined;
    out.push([formatAddress(host, port), nodeId, Number(p.lastSeenMs ?? 0)]);
  }
  return out;
}

/**
 * The list getPeers is answered from, rebuilt at most every `maxAgeMs`: an answer costs a
 * copy, not a walk of the sessions and the book, however often peers ask.
 */
export class SharedPeerList {
  private built: { atMs: number; peers: SharedPeer[] } | undefined;

  constructor(
    private readonly build: () => SharedPeer[],
    private readonly maxAgeMs: number,
  ) {}

  /** Up to sharedCount(max) entries, leaving out the asker (`except`: its node id in hex). */
  answer(max: number, except: string): SharedPeer[] {
    const now = Date.now();
    if (this.built === undefined || now - this.built.atMs >= this.maxAgeMs) {
      this.built = { atMs: now, peers: this.build() };
    }
    const n = sharedCount(max);
    const out: SharedPeer[] = [];
    for (const p of this.built.peers) {
      if (out.length >= n) break;
      if (p.nodeId && p.nodeId.length === 32 && Buffer.from(p.nodeId).toString('hex') === except) continue;
      out.push(p);
    }
    return out;
  }
}
