import { buildSignedTransaction, RpcCallError, type TransactionView, TxBuildError } from '@tc/node';
import type { Cluster, ClusterNode } from './cluster.js';
import { mapLimit, type Rng } from './util.js';

/** What the harness knows about one transaction it submitted. */
export interface TrackedTx {
  readonly txid: string;
  readonly via: number;
  readonly submittedAtMs: number;
  /** Outpoints it spends ("txid:vout"), from its first gettransaction answer. */
  inputs?: string[];
  /** Blocks (hash → height) some node reported it in. */
  readonly seenIn: Map<string, number>;
}

/** Most txids checked per tracking round. */
const TRACK_PER_ROUND = 48;

/**
 * The transaction load: about `rate` signed 1-coin transfers per second between the genesis-funded
 * validator addresses (`buildSignedTransaction`, the `tx send` path), each submitted through the
 * sender's own node while it is up (its mempool knows the key's pending spends), one at a time per
 * sender. `track()` polls `gettransaction` to learn which transactions were seen in which blocks.
 */
export class TxLoad {
  readonly txs = new Map<string, TrackedTx>();
  accepted = 0;
  readonly rejected = new Map<string, number>();
  private readonly busy = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  private trackTimer: NodeJS.Timeout | undefined;
  private credit = 0;
  private last = Date.now();
  private tracking: Promise<void> | undefined;
  private trackCursor = 0;

  constructor(
    private readonly cluster: Cluster,
    private readonly rate: number,
    private readonly rng: Rng,
  ) {}

  start(): void {
    if (this.rate <= 0) return;
    this.last = Date.now();
    this.timer = setInterval(() => this.tick(), Math.max(20, Math.min(500, Math.floor(1000 / this.rate))));
    this.trackTimer = setInterval(() => {
      this.tracking ??= this.track().finally(() => {
        this.tracking = undefined;
      });
    }, 1500);
  }

  /** Stops submitting and waits for a tracking round in progress. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.trackTimer);
    this.timer = undefined;
    this.trackTimer = undefined;
    await this.tracking;
  }

  private up(): ClusterNode[] {
    return this.cluster.nodes.filter((n) => n.proc.running);
  }

  private tick(): void {
    const now = Date.now();
    this.credit = Math.min(this.credit + ((now - this.last) / 1000) * this.rate, Math.max(1, this.rate));
    this.last = now;
    while (this.credit >= 1 && this.timer) {
      this.credit -= 1;
      const senders = this.up().filter((n) => !this.busy.has(n.index));
      if (senders.length === 0) break;
      const from = this.rng.pick(senders);
      const to = this.rng.pick(this.cluster.nodes.filter((n) => n !== from));
      this.busy.add(from.index);
      void this.send(from, to).finally(() => this.busy.delete(from.index));
    }
  }

  private count(reason: string): void {
    this.rejected.set(reason, (this.rejected.get(reason) ?? 0) + 1);
  }

  private async send(from: ClusterNode, to: ClusterNode): Promise<void> {
    try {
      const tx = await buildSignedTransaction({
        from: from.key,
        to: to.address,
        amount: 1n,
        fee: 0n,
        rpc: from.rpc,
      });
      await from.rpc.call<string>('sendrawtransaction', [tx.hex]);
      this.accepted++;
      this.txs.set(tx.txid, { txid: tx.txid, via: from.index, submittedAtMs: Date.now(), seenIn: new Map() });
    } catch (error) {
      if (error instanceof RpcCallError) {
        const data = error.data as { code?: string } | undefined;
        this.count(data?.code ?? `rpc ${error.rpcCode}`);
      } else if (error instanceof TxBuildError) this.count(error.code);
      else this.count('unreachable');
    }
  }

  /**
   * One tracking round: up to TRACK_PER_ROUND submitted transactions not yet seen in a block
   * (round robin), each asked of a random node that is up.
   */
  async track(): Promise<void> {
    const pending = [...this.txs.values()].filter((t) => t.seenIn.size === 0);
    if (pending.length === 0) return;
    const start = this.trackCursor % pending.length;
    const batch = [...pending.slice(start), ...pending.slice(0, start)].slice(0, TRACK_PER_ROUND);
    this.trackCursor += batch.length;
    await mapLimit(batch, 8, async (t) => {
      const up = this.up();
      if (up.length === 0) return;
      const n = this.rng.pick(up);
      try {
        this.observe(t, await n.rpc.call<TransactionView>('gettransaction', [t.txid]));
      } catch {
        // not known there (yet), or the node went down
      }
    });
  }

  /** Records a gettransaction answer (inputs, and the block it is in, if any). */
  observe(t: TrackedTx, v: TransactionView): void {
    t.inputs ??= v.inputs.map((i) => `${i.prevTxid}:${i.outputIndex}`);
    if (v.blockHash && v.height !== null) t.seenIn.set(v.blockHash, v.height);
  }
}
