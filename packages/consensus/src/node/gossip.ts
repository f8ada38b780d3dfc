import type { InboundMessage, PeerConnectionRegistry } from '@tc/registry';
import { decodeBlock, decodeTransaction, encodeBlock, type KindBodies, type tc } from '@tc/wire';
import { txid as computeTxid } from '../canonical.js';
import type { AcceptOutcome, ChainManager } from '../chain/chain-manager.js';
import { ConsensusError } from '../errors.js';
import type { GenesisConfig } from '../genesis.js';
import type { Mempool, MempoolAddResult } from '../mempool.js';
import { fromPbTransaction } from '../model.js';
import type { StatelessValidator } from '../pool.js';
import { SeenFilter } from '../seen-filter.js';

export interface GossipOptions {
  registry: Pick<PeerConnectionRegistry, 'broadcast' | 'reportPeer'>;
  chain: ChainManager;
  mempool: Mempool;
  validator: StatelessValidator;
  genesis: GenesisConfig;
  /** Transaction ids remembered so that nothing is processed or relayed twice (default 50 000). */
  seenCapacity?: number;
  /** Transactions taken from one txBroadcast message; the rest are dropped (default 1 000). */
  maxTxsPerMessage?: number;
  /** txBroadcast messages validated at once; more are dropped unmarked (default 8). */
  maxConcurrentTxBatches?: number;
  /** An announced block did not extend our tip (fork or unknown parent): check peers' chains. */
  onBlockGap: (peerId: string, height: number) => void;
  /** Outcome of each announced block (metrics). */
  onAnnounce?: (status: AcceptOutcome['status']) => void;
  /** Gossiped transactions by result: admitted, rejected, seen (already known), dropped (busy). */
  onTxs?: (result: 'admitted' | 'rejected' | 'seen' | 'dropped', n: number) => void;
  /** A peer sent an invalid block or transaction (consensus code). */
  onPeerFault?: (peerId: string, code: string) => void;
}

/**
 * Gossip: blockAnnounce → chain manager (connected blocks are relayed to everyone but the
 * sender; a fork or unknown parent triggers a fork check; an invalid block reports the sender
 * with its consensus code, which the registry's table turns into a ban). txBroadcast →
 * seen-filter → mempool (batched stateless checks in the pool) → relay of the admitted ones.
 */
export class Gossip {
  readonly seen: SeenFilter;
  private readonly maxTxsPerMessage: number;
  private readonly maxConcurrent: number;
  private inflight = 0;
  dropped = 0;

  constructor(private readonly o: GossipOptions) {
    this.seen = new SeenFilter(o.seenCapacity ?? 50_000);
    this.maxTxsPerMessage = o.maxTxsPerMessage ?? 1_000;
    this.maxConcurrent = o.maxConcurrentTxBatches ?? 8;
  }

  /** The registry's `message` listener. Never throws. */
  onMessage(msg: InboundMessage): void {
    if (msg.kind === 'blockAnnounce') void this.onBlock(msg.peerId, msg.body);
    else if (msg.kind === 'txBroadcast') void this.onTxs(msg.peerId, msg.body);
  }

  /** Announces a block we produced or accepted to every peer except `except`. */
  announceBlock(block: tc.v1.Block.$Properties | Uint8Array, except: readonly string[] = []): number {
    try {
      const body = block instanceof Uint8Array ? decodeBlock(block) : block;
      return this.o.registry.broadcast({ kind: 'blockAnnounce', body: { block: body } }, { except });
    } catch {
      return 0; // over the blockAnnounce frame limit: peers fetch it by range instead
    }
  }

  private async onBlock(peerId: string, body: KindBodies['blockAnnounce']): Promise<void> {
    if (!body.block) {
      this.fault(peerId, 'MALFORMED_BLOCK');
      return;
    }
    let outcome: AcceptOutcome;
    try {
      outcome = await this.o.chain.acceptAnnouncedBlock(encodeBlock(body.block), peerId);
    } catch {
      this.fault(peerId, 'MALFORMED_BLOCK');
      return;
    }
    this.o.onAnnounce?.(outcome.status);
    switch (outcome.status) {
      case 'connected':
        this.announceBlock(body.block, [peerId]);
        return;
      case 'fork':
      case 'unknown-parent':
        this.o.onBlockGap(peerId, outcome.height);
        return;
      case 'invalid':
        this.fault(peerId, outcome.error.code);
        return;
      default:
        return;
    }
  }

  private async onTxs(peerId: string, body: KindBodies['txBroadcast']): Promise<void> {
    const fresh: tc.v1.Transaction.$Properties[] = [];
    for (const pbTx of body.txs.slice(0, this.maxTxsPerMessage)) {
      let id: Uint8Array;
      try {
        id = computeTxid(fromPbTransaction(pbTx));
      } catch (error) {
        this.fault(peerId, error instanceof ConsensusError ? error.code : 'MALFORMED_TX');
        return;
      }
      if (!this.seen.has(id)) fresh.push(pbTx);
    }
    const known = Math.min(body.txs.length, this.maxTxsPerMessage) - fresh.length;
    if (known > 0) this.o.onTxs?.('seen', known);
    if (fresh.length === 0) return;
    if (this.inflight >= this.maxConcurrent) {
      this.dropped += fresh.length;
      this.o.onTxs?.('dropped', fresh.length);
      return;
    }
    this.inflight++;
    try {
      const results = await this.admit(fresh);
      const relay: tc.v1.Transaction.$Properties[] = [];
      let faulted = false;
      results.forEach((r, i) => {
        if (r.txid) this.seen.add(r.txid);
        if (r.ok) relay.push(fresh[i]!);
        else if (!faulted && r.error instanceof ConsensusError) {
          faulted = true;
          this.fault(peerId, r.error.code);
        }
      });
      this.o.onTxs?.('admitted', relay.length);
      this.o.onTxs?.('rejected', results.length - relay.length);
      if (relay.length > 0) {
        this.o.registry.broadcast({ kind: 'txBroadcast', body: { txs: relay } }, { except: [peerId] });
      }
    } catch {
      this.dropped += fresh.length; // pool queue full or stopped: not the sender's fault
      this.o.onTxs?.('dropped', fresh.length);
    } finally {
      this.inflight--;
    }
  }

  /** Validates and admits transactions (from gossip or the app). */
  admit(txs: readonly (Uint8Array | tc.v1.Transaction.$Properties)[]): Promise<MempoolAddResult[]> {
    return this.o.mempool.addTransactions(txs, {
      validator: this.o.validator,
      utxos: this.o.chain.view,
      genesis: this.o.genesis,
    });
  }

  /** Admits transactions submitted locally and broadcasts the admitted ones. */
  async submit(txs: readonly (Uint8Array | tc.v1.Transaction.$Properties)[]): Promise<MempoolAddResult[]> {
    const results = await this.admit(txs);
    for (const r of results) if (r.txid) this.seen.add(r.txid);
    const bodies = results
      .map((r, i) => (r.ok ? txs[i]! : undefined))
      .filter((t): t is Uint8Array | tc.v1.Transaction.$Properties => t !== undefined)
      .map((t) => (t instanceof Uint8Array ? decodeTransaction(t) : t));
    if (bodies.length > 0) this.o.registry.broadcast({ kind: 'txBroadcast', body: { txs: bodies } });
    return results;
  }

  private fault(peerId: string, code: string): void {
    this.o.onPeerFault?.(peerId, code);
  }
}
