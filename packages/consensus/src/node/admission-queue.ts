import type { tc } from '@tc/wire';
import type { MempoolAddResult } from '../mempool.js';
import { MempoolError } from '../mempool-errors.js';

export type TxInput = Uint8Array | tc.v1.Transaction.$Properties;

export interface AdmissionQueueOptions {
  /** Validates and admits one batch (the mempool through the pool). */
  admit(txs: readonly TxInput[], txids: readonly (Uint8Array | undefined)[]): Promise<MempoolAddResult[]>;
  /** Most transactions handed to the pool in one batch (default 2 000). */
  maxBatch?: number;
  /** Batches validated at once (default 2: one in the pool, one being prepared). */
  maxConcurrent?: number;
  /** Transactions waiting for a batch; beyond it a submission is refused MEMPOOL_BUSY (default 20 000). */
  maxQueued?: number;
  /** Encoded bytes waiting for a batch; beyond it a submission is refused MEMPOOL_BUSY (default 64 MiB). */
  maxQueuedBytes?: number;
}

/** Encoded size of a submission (decoded ones, from txBroadcast, are bounded by their frame). */
function bytesOf(txs: readonly TxInput[]): number {
  let n = 0;
  for (const t of txs) if (t instanceof Uint8Array) n += t.byteLength;
  return n;
}

interface Waiting {
  readonly txs: readonly TxInput[];
  readonly txids: readonly (Uint8Array | undefined)[] | undefined;
  readonly bytes: number;
  readonly resolve: (results: MempoolAddResult[]) => void;
}

/**
 * Coalesces transaction submissions (RPC calls, gossip fetches) into pool-sized batches: a
 * batch per pool round trip instead of a round trip per transaction, which cost the main
 * thread 17 % at the 4-node ceiling. Bounded by transactions waiting; a submission that does
 * not fit is refused MEMPOOL_BUSY (retryable), never accepted and dropped.
 */
export class AdmissionQueue {
  private readonly waiting: Waiting[] = [];
  private queued = 0;
  private queuedBytes = 0;
  private running = 0;
  private readonly maxQueuedBytes: number;
  private readonly maxBatch: number;
  private readonly maxConcurrent: number;
  private readonly maxQueued: number;

  constructor(private readonly o: AdmissionQueueOptions) {
    this.maxBatch = o.maxBatch ?? 2_000;
    this.maxConcurrent = o.maxConcurrent ?? 2;
    this.maxQueued = o.maxQueued ?? 20_000;
    this.maxQueuedBytes = o.maxQueuedBytes ?? 64 * 1024 * 1024;
  }

  /** Whether `n` more transactions would be taken now. */
  hasRoom(n: number, bytes = 0): boolean {
    return this.queued + n <= this.maxQueued && this.queuedBytes + bytes <= this.maxQueuedBytes;
  }

  /** One result per transaction, in order. Never rejects. `txids`: ids hashed already (gossip's). */
  add(txs: readonly TxInput[], txids?: readonly (Uint8Array | undefined)[]): Promise<MempoolAddResult[]> {
    if (txs.length === 0) return Promise.resolve([]);
    const bytes = bytesOf(txs);
    if (!this.hasRoom(txs.length, bytes)) {
      const error = new MempoolError(
        'MEMPOOL_BUSY',
        `${this.queued} transactions (${this.queuedBytes} bytes) wait for validation`,
      );
      return Promise.resolve(txs.map(() => ({ ok: false as const, error })));
    }
    return new Promise((resolve) => {
      this.waiting.push({ txs, txids, bytes, resolve });
      this.queued += txs.length;
      this.queuedBytes += bytes;
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < this.maxConcurrent && this.waiting.length > 0) {
      const batch: Waiting[] = [];
      let n = 0;
      // Whole submissions only, so each caller gets its results from one batch; one larger
      // than maxBatch goes alone.
      while (this.waiting.length > 0 && (n === 0 || n + this.waiting[0]!.txs.length <= this.maxBatch)) {
        const next = this.waiting.shift()!;
        batch.push(next);
        n += next.txs.length;
        this.queuedBytes -= next.bytes;
      }
      this.queued -= n;
      this.running++;
      void this.run(batch).finally(() => {
        this.running--;
        this.pump();
      });
    }
  }

  private async run(batch: Waiting[]): Promise<void> {
    const txs = batch.flatMap((w) => w.txs);
    const txids = batch.flatMap((w) => w.txids ?? w.txs.map(() => undefined));
    let results: MempoolAddResult[];
    try {
      results = await this.o.admit(txs, txids);
    } catch (error) {
      const busy = new MempoolError('MEMPOOL_BUSY', `validation unavailable: ${(error as Error).message}`);
      results = txs.map(() => ({ ok: false as const, error: busy }));
    }
    let at = 0;
    for (const w of batch) {
      w.resolve(results.slice(at, at + w.txs.length));
      at += w.txs.length;
    }
  }
}
