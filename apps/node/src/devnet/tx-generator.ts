import type { BuildSignedTransaction } from '../chain/seams.js';
import { addressOfPublicKey, NotWiredError, TxBuildError } from '../chain/seams.js';
import { RpcCallError } from '../rpc/client.js';
import type { DevnetNode } from './nodes.js';

/**
 * Submits about `rate` transfers per second between the devnet's validator keys (funded in the
 * genesis). A transfer from node i's key is built and submitted through node i's own RPC when it
 * is up (its mempool knows every pending spend of that key, so `listunspent` never offers an
 * output already being spent), else through a random node that is up. Turns itself off (with a
 * note for the view) on NotWiredError. At most `rate` (≥ 1) submissions are started per tick, at
 * most `maxInflight` are outstanding, and at most one per sender key (so the rate is also bounded
 * by the number of nodes over the build-and-submit round trip).
 */
export class TxGenerator {
  sent = 0;
  rejected = 0;
  /** Why the generator stopped itself, if it did. */
  disabled: string | undefined;
  private window = 0;
  private readonly nodeWindow = new Map<number, number>();
  private credit = 0;
  private lastTick = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private inflight = 0;
  /** Senders with a transfer being built or submitted: one at a time per key, so two never pick the same output. */
  private readonly busy = new Set<number>();
  /** Most submissions outstanding at once; ticks beyond it are skipped (the rate then drops). */
  readonly maxInflight = 64;
  /** The last rejection's message (for the log). */
  lastError: string | undefined;

  constructor(
    private readonly nodes: readonly DevnetNode[],
    private readonly rate: number,
    private readonly build: BuildSignedTransaction,
  ) {}

  start(): void {
    if (this.rate <= 0) return;
    this.timer = setInterval(() => this.tick(), Math.max(10, Math.min(1000, Math.floor(1000 / this.rate))));
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Accepted transactions since the previous call. */
  takeWindow(): number {
    const w = this.window;
    this.window = 0;
    return w;
  }

  /** Accepted transactions per node (by the node they were submitted through) since the previous call. */
  takeNodeWindow(): Map<number, number> {
    const m = new Map(this.nodeWindow);
    this.nodeWindow.clear();
    return m;
  }

  private pick<T>(xs: readonly T[]): T | undefined {
    return xs[Math.floor(Math.random() * xs.length)];
  }

  private tick(): void {
    const now = Date.now();
    this.credit = Math.min(this.credit + ((now - this.lastTick) / 1000) * this.rate, Math.max(1, this.rate));
    this.lastTick = now;
    while (this.credit >= 1 && this.disabled === undefined && this.timer !== undefined) {
      this.credit -= 1;
      if (this.inflight >= this.maxInflight) break;
      const from = this.pick(this.nodes.filter((n) => !this.busy.has(n.index)));
      const to = this.pick(this.nodes.length > 1 ? this.nodes.filter((n) => n !== from) : this.nodes);
      const via = from?.view.up ? from : this.pick(this.nodes.filter((n) => n.view.up));
      if (!from || !to || !via) break;
      this.inflight++;
      this.busy.add(from.index);
      this.build({
        from: from.key,
        to: addressOfPublicKey(to.key.publicKey),
        amount: 1n,
        fee: 0n,
        rpc: via.rpc,
      })
        .then((tx) => via.rpc.call<string>('sendrawtransaction', [tx.hex]))
        .then(() => {
          this.sent++;
          this.window++;
          this.nodeWindow.set(via.index, (this.nodeWindow.get(via.index) ?? 0) + 1);
        })
        .catch((error: unknown) => {
          if (error instanceof NotWiredError) this.disabled ??= `transaction generator off: ${error.message}`;
          else if (error instanceof RpcCallError || error instanceof TxBuildError) {
            this.rejected++;
            this.lastError = error.message;
          }
        })
        .finally(() => {
          this.inflight--;
          this.busy.delete(from.index);
        });
    }
  }
}
