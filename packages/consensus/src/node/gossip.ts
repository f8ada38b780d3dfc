import type { InboundMessage, PeerConnectionRegistry } from '@tc/registry';
import type { KindBodies, tc } from '@tc/wire';
import { fromHex, toHex } from '../bytes.js';
import { txid as computeTxid } from '../canonical.js';
import type { ChainManager } from '../chain/chain-manager.js';
import type { AcceptOutcome } from '../chain/chain-types.js';
import { SideBranch, type SideBranchOutcome } from '../chain/side-branch.js';
import { ConsensusError } from '../errors.js';
import { type GenesisConfig, statelessParams } from '../genesis.js';
import type { Mempool, MempoolAddResult, MempoolEntry } from '../mempool.js';
import { MempoolError } from '../mempool-errors.js';
import { fromPbTransaction } from '../model.js';
import { SeenFilter } from '../seen-filter.js';
import { maxEncodedBlockBytes } from '../stateless.js';
import type { StatelessValidator } from '../stateless-validator.js';
import { AdmissionQueue, type TxInput } from './admission-queue.js';
import { BlockRelay } from './block-relay.js';
import { TxRelay, type TxRelayOptions } from './tx-relay.js';

export interface GossipOptions {
  registry: Pick<PeerConnectionRegistry, 'reportPeer' | 'send' | 'request' | 'peers' | 'stream'>;
  chain: ChainManager;
  mempool: Mempool;
  validator: StatelessValidator;
  genesis: GenesisConfig;
  /** Transaction ids remembered so that nothing is processed or relayed twice (default 50 000). */
  seenCapacity?: number;
  /** Transactions taken from one txBroadcast message; the rest are dropped (default 1 000). */
  maxTxsPerMessage?: number;
  /** Transactions handed to the pool in one batch (default 2 000). */
  maxAdmissionBatch?: number;
  /** Transactions waiting for validation; beyond it submissions are refused MEMPOOL_BUSY (default 20 000). */
  maxAdmissionQueue?: number;
  /** Inventory relay tuning (announcement window, fetch timeout, re-announce period). */
  relay?: Pick<
    TxRelayOptions,
    'windowMs' | 'maxIdsPerMessage' | 'fetchTimeoutMs' | 'maxFetching' | 'reannounceMs' | 'fanout'
  >;
  /** An announced block did not extend our tip (fork or unknown parent): check peers' chains. */
  onBlockGap: (peerId: string, height: number) => void;
  /** An announced block lost to our block at its height (a fork): check it for equivocation. */
  onForkBlock?: (bytes: Uint8Array) => void;
  /** Outcome of each announced block (metrics). */
  onAnnounce?: (status: AcceptOutcome['status']) => void;
  /** What became of each announced block that did not extend our tip (metrics). */
  onSideBranch?: (action: SideBranchOutcome['action']) => void;
  /** Gossiped transactions by result: admitted, rejected, seen (already known), dropped (busy). */
  onTxs?: (result: 'admitted' | 'rejected' | 'seen' | 'dropped', n: number) => void;
  /** A peer sent an invalid block or transaction (consensus code). */
  onPeerFault?: (peerId: string, code: string) => void;
  /**
   * Makes locally submitted transactions durable before `submit` answers (AcceptedTxs). If it
   * throws, they are taken out of the mempool again and answered MEMPOOL_BUSY (retryable).
   */
  persist?: (entries: readonly MempoolEntry[]) => Promise<void>;
}

/** Blocks a side branch may hold, and how far above our tip an announced block is fetched alone. */
const SIDE_BRANCH_DEPTH = 16;

/**
 * Gossip: blockAnnounce → chain manager (connected blocks are relayed to everyone but the
 * sender; a fork or unknown parent triggers a fork check; an invalid block reports the sender
 * with its consensus code, which the registry's table turns into a ban). Transactions travel
 * by inventory (TxRelay: txInventory → getTxs → admission) and every admission, local or
 * relayed, goes through one AdmissionQueue that hands the pool whole batches.
 */
export class Gossip {
  readonly seen: SeenFilter;
  readonly admission: AdmissionQueue;
  readonly relay: TxRelay;
  readonly blocks: BlockRelay;
  readonly sideBranch: SideBranch;
  private readonly maxTxsPerMessage: number;
  private readonly maxBlockBytes: number;

  constructor(private readonly o: GossipOptions) {
    this.seen = new SeenFilter(o.seenCapacity ?? 50_000);
    this.maxTxsPerMessage = o.maxTxsPerMessage ?? 1_000;
    this.maxBlockBytes = maxEncodedBlockBytes(statelessParams(o.genesis));
    this.admission = new AdmissionQueue({
      admit: (txs, txids) => this.admit(txs, txids),
      ...(o.maxAdmissionBatch !== undefined ? { maxBatch: o.maxAdmissionBatch } : {}),
      ...(o.maxAdmissionQueue !== undefined ? { maxQueued: o.maxAdmissionQueue } : {}),
    });
    this.blocks = new BlockRelay({
      registry: o.registry,
      has: (hash) => o.chain.store.getBlockHeight(hash) !== undefined,
      tipHeight: () => o.chain.tip().height,
      accept: (peerId, bytes) => void this.onBlock(peerId, { block: bytes }),
      onGap: (peerId, height) => o.onBlockGap(peerId, height),
      fetchAhead: SIDE_BRANCH_DEPTH,
    });
    this.sideBranch = new SideBranch({
      chain: o.chain,
      api: o.registry,
      maxDepth: SIDE_BRANCH_DEPTH,
      reoffer: (block, from) => void this.offerSide(from, block.bytes, block.height),
    });
    this.relay = new TxRelay({
      ...o.relay,
      registry: o.registry,
      mempool: o.mempool,
      admission: this.admission,
      seen: this.seen,
      ...(o.onTxs ? { onTxs: o.onTxs } : {}),
      ...(o.onPeerFault ? { onPeerFault: o.onPeerFault } : {}),
    });
  }

  start(): void {
    this.relay.start();
  }

  stop(): void {
    this.relay.stop();
    this.blocks.stop();
    this.sideBranch.blocks.clear();
  }

  /** The registry's `message` listener. Never throws. */
  onMessage(msg: InboundMessage): void {
    if (msg.kind === 'blockAnnounce') void this.onBlock(msg.peerId, msg.body);
    else if (msg.kind === 'blockInventory') this.blocks.onInventory(msg.peerId, msg.body);
    else if (msg.kind === 'txInventory') this.relay.onInventory(msg.peerId, msg.body.txids);
    else if (msg.kind === 'txBroadcast') void this.onTxs(msg.peerId, msg.body);
  }

  /** Announces a block we produced (its encoded bytes) to every peer, whole. */
  announceProduced(block: Uint8Array, hash: Uint8Array, height: number): void {
    this.blocks.relay(block, hash, height, { produced: true });
  }

  private async onBlock(peerId: string, body: { readonly block: Uint8Array }): Promise<void> {
    // The block's bytes as they came: decoded once, in the pool, after its size is checked.
    if (body.block.length === 0) {
      this.fault(peerId, 'MALFORMED_BLOCK');
      return;
    }
    // Cheap before expensive: an oversized block is refused here, never queued for the chain.
    if (body.block.length > this.maxBlockBytes) {
      this.fault(peerId, 'OVERSIZE_BLOCK');
      return;
    }
    let outcome: AcceptOutcome;
    // Relayed as soon as it is valid, before our commit: each hop then adds no fsync.
    const relay = (hash: Uint8Array, height: number) =>
      this.blocks.relay(body.block, hash, height, { except: peerId });
    try {
      outcome = await this.o.chain.acceptAnnouncedBlock(body.block, peerId, relay);
    } catch {
      this.fault(peerId, 'MALFORMED_BLOCK');
      return;
    }
    this.o.onAnnounce?.(outcome.status);
    switch (outcome.status) {
      case 'connected':
        return; // relayed already, when it proved valid (the chain calls onValid before connecting)
      case 'duplicate':
        this.blocks.markKnown(peerId, toHex(outcome.hash));
        return;
      case 'fork':
        this.o.onForkBlock?.(body.block);
        await this.offerSide(peerId, body.block, outcome.height);
        return;
      case 'unknown-parent':
        await this.offerSide(peerId, body.block, outcome.height);
        return;
      case 'invalid':
        this.fault(peerId, outcome.error.code);
        return;
      default:
        return;
    }
  }

  /**
   * A block that did not extend our tip: switch to its branch from blocks in hand (SideBranch);
   * a fork check (every peer's tip) only when that cannot be done here.
   */
  private async offerSide(peerId: string, bytes: Uint8Array, height: number): Promise<void> {
    const outcome = await this.sideBranch.offer(bytes, peerId);
    this.o.onSideBranch?.(outcome.action);
    switch (outcome.action) {
      case 'switched':
      case 'extended': {
        const { tip } = outcome;
        this.blocks.relay(tip.bytes, fromHex(tip.hash), tip.height, { except: peerId });
        return;
      }
      case 'invalid':
        this.fault(peerId, outcome.code);
        return;
      case 'unresolved':
        this.o.onBlockGap(peerId, height);
        return;
      default:
        return; // worse: our chain wins; busy: a resolution of it is running
    }
  }

  /** Pushed transactions (txBroadcast, from peers that push instead of announcing). */
  private async onTxs(peerId: string, body: KindBodies['txBroadcast']): Promise<void> {
    const fresh: tc.v1.Transaction.$Properties[] = [];
    const ids: Uint8Array[] = [];
    for (const pbTx of body.txs.slice(0, this.maxTxsPerMessage)) {
      let id: Uint8Array;
      try {
        id = computeTxid(fromPbTransaction(pbTx));
      } catch (error) {
        this.fault(peerId, error instanceof ConsensusError ? error.code : 'MALFORMED_TX');
        return;
      }
      // Seen from the moment validation starts, so racing copies are not verified again.
      if (this.seen.add(id)) {
        fresh.push(pbTx);
        ids.push(id);
      }
    }
    const known = Math.min(body.txs.length, this.maxTxsPerMessage) - fresh.length;
    if (known > 0) this.o.onTxs?.('seen', known);
    if (fresh.length === 0) return;
    // The ids hashed for the seen filter go along: the pool does not hash these again.
    const results = await this.admission.add(fresh, ids);
    const relay: Uint8Array[] = [];
    let faulted = false;
    let busy = 0;
    results.forEach((r, i) => {
      if (r.ok) relay.push(r.txid);
      else if (r.error.code === 'MEMPOOL_BUSY') {
        busy++;
        this.seen.delete(ids[i]!); // not judged: a later copy must be processed
      } else if (!faulted && r.error instanceof ConsensusError) {
        faulted = true;
        this.fault(peerId, r.error.code);
      }
    });
    this.o.onTxs?.('admitted', relay.length);
    this.o.onTxs?.('rejected', results.length - relay.length - busy);
    if (busy > 0) this.o.onTxs?.('dropped', busy);
    this.relay.announce(relay, peerId);
  }

  /** Validates and admits transactions (from gossip or the app), one pool batch. */
  admit(txs: readonly TxInput[], txids?: readonly (Uint8Array | undefined)[]): Promise<MempoolAddResult[]> {
    return this.o.mempool.addTransactions(
      txs,
      { validator: this.o.validator, utxos: this.o.chain.view, genesis: this.o.genesis },
      txids,
    );
  }

  /**
   * Admits transactions submitted locally (through the admission queue, so concurrent
   * submissions share pool batches), makes the admitted ones durable, then announces them. A
   * result with a retryable code (MEMPOOL_BUSY, MEMPOOL_FULL, CHAIN_BUSY) was not accepted:
   * nothing is lost, and nothing that was answered with a txid is lost either.
   */
  async submit(txs: readonly TxInput[]): Promise<MempoolAddResult[]> {
    const results = await this.admission.add(txs);
    const accepted = results.flatMap((r) => (r.ok ? [r.entry] : []));
    if (accepted.length > 0 && this.o.persist) {
      try {
        await this.o.persist(accepted);
      } catch (error) {
        // Not durable, so not accepted: out of the mempool again; the caller retries.
        const busy = new MempoolError('MEMPOOL_BUSY', `not stored: ${(error as Error).message}`);
        return results.map((r) => {
          if (!r.ok) return r;
          this.o.mempool.remove(r.txid);
          return { ok: false as const, txid: r.txid, error: busy };
        });
      }
    }
    for (const e of accepted) this.seen.add(e.txid);
    this.relay.announce(accepted.map((e) => e.txid));
    return results;
  }

  /**
   * A connected block's transactions are known from now on: an announcement of one of them
   * that arrives late (a peer relays what it admitted just before the block) is not fetched,
   * nor verified only to be refused MISSING_INPUT.
   */
  confirmed(txs: readonly { readonly txid: Uint8Array }[]): void {
    for (const { txid } of txs) this.seen.add(txid);
  }

  private fault(peerId: string, code: string): void {
    this.o.onPeerFault?.(peerId, code);
  }
}
