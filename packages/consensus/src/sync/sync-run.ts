import { Batch } from './batch.js';
import { importRun, prevalidateAhead, readyRun, withinPrevalidateWindow } from './batch-import.js';
import { DownloadError, type DownloadFailure, downloadRange } from './download.js';
import { SyncError, type SyncErrorCode, type SyncOutcome } from './errors.js';
import { reactionTo, reportPeer } from './failure-policy.js';
import { PeerBalancer, type SyncPeer } from './peer-balancer.js';
import { RunTally } from './run-tally.js';
import { checkStall } from './stall-check.js';
import type { RunConfig, SyncPeerInput } from './sync-types.js';

/** One `syncTo` call: the batch window, the downloads, in-order import, stall detection. */
export class SyncRun {
  readonly done: Promise<SyncOutcome>;
  private resolve!: (o: SyncOutcome) => void;
  private reject!: (e: SyncError) => void;
  private readonly balancer: PeerBalancer;
  /** Batches not yet imported, ascending; at most maxBatchesAhead. */
  private batches: Batch[] = [];
  private nextStart: number;
  private nextId = 0;
  private readonly tally: RunTally;
  private processing: Promise<void> | undefined;
  private finished = false;
  private wakeTimer: NodeJS.Timeout | undefined;
  private readonly stallTimer: NodeJS.Timeout;

  constructor(
    private readonly cfg: RunConfig,
    peers: readonly SyncPeerInput[],
    private readonly signal: AbortSignal | undefined,
  ) {
    this.done = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.balancer = new PeerBalancer({
      maxInflightPerPeer: cfg.maxInflightPerPeer,
      quota: cfg.peerQuota,
      isConnected: (id) => cfg.registry.peer(id) !== undefined,
      now: () => performance.now(),
      maxPeers: cfg.maxPeers,
    });
    this.tally = new RunTally(cfg.target.tip().height, cfg, (h) => this.balancer.usefulCount(h));
    this.nextStart = this.tally.fromHeight + 1;
    this.tally.raiseTarget(this.balancer.upsert(peers));
    this.stallTimer = setInterval(
      () => this.checkStall(),
      Math.max(50, Math.min(1_000, cfg.stallTimeoutMs / 4)),
    );
    this.stallTimer.unref();
    signal?.addEventListener('abort', this.onAbort, { once: true });
    if (signal?.aborted) this.onAbort();
  }

  start(): void {
    this.cfg.log.info(
      {
        from: this.tally.fromHeight,
        target: this.tally.targetHeight,
        peers: this.balancer.usefulCount(this.nextStart),
      },
      'range sync started',
    );
    this.pump();
  }

  /** The height this run syncs to (raised by peers with higher tips). */
  get targetHeight(): number {
    return this.tally.targetHeight;
  }

  /** More peers (or higher tips of known ones) while the sync runs; may raise the target. */
  addPeers(peers: readonly SyncPeerInput[]): void {
    if (this.finished) return;
    this.tally.raiseTarget(this.balancer.upsert(peers));
    this.pump();
  }

  stop(reason: string): void {
    this.finish({ code: 'ABORTED', message: reason });
  }

  private readonly onAbort = (): void => this.finish({ code: 'ABORTED', message: 'sync aborted by signal' });

  // ------------------------------------------------------------------ scheduling

  private pump(): void {
    if (this.finished) return;
    while (
      this.batches.length < this.cfg.maxBatchesAhead &&
      this.nextStart <= this.tally.targetHeight &&
      this.bufferedBytes() < this.cfg.maxBufferedBytes
    ) {
      const end = Math.min(this.nextStart + this.cfg.batchSize - 1, this.tally.targetHeight);
      this.batches.push(new Batch(this.nextId++, this.nextStart, end));
      this.nextStart = end + 1;
    }
    let waiting = false;
    for (const b of this.batches) {
      if (b.state !== 'AwaitingDownload') continue;
      if (b.attempts >= this.cfg.maxAttemptsPerBatch) {
        this.fail('BATCH_FAILED', `batch ${b.start}..${b.end} failed ${b.attempts} times`);
        return;
      }
      const peer = this.balancer.pick(b);
      if (peer) this.download(b, peer);
      else if (this.balancer.canServe(b)) waiting = true;
      else {
        this.fail(
          'NO_USEFUL_PEERS',
          `no connected peer left for ${b.start}..${b.end} (failed by ${b.failedPeers.size})`,
        );
        return;
      }
    }
    if (this.batches[0]?.state === 'AwaitingProcessing' && this.processing === undefined) {
      this.processing = this.process(readyRun(this.batches));
    }
    prevalidateAhead(this.batches, this.cfg.target);
    if (this.batches.length === 0 && this.nextStart > this.tally.targetHeight) {
      this.finish();
      return;
    }
    if (waiting) this.armWake();
  }

  private armWake(): void {
    if (this.wakeTimer) return;
    const at = this.balancer.wakeAt(this.cfg.batchSize);
    if (at === undefined) return; // a download in flight will pump when it ends
    this.wakeTimer = setTimeout(
      () => {
        this.wakeTimer = undefined;
        this.pump();
      },
      Math.max(1, Math.ceil(at - performance.now())),
    );
    this.wakeTimer.unref();
  }

  private bufferedBytes(): number {
    let n = 0;
    for (const b of this.batches) n += b.bytes;
    return n;
  }

  // ------------------------------------------------------------------ download

  private download(b: Batch, peer: SyncPeer): void {
    const controller = new AbortController();
    b.startDownload(peer.id, controller, performance.now());
    this.balancer.charge(peer, b.count);
    const lagStart = this.cfg.lag.now();
    const current = () => !this.finished && b.controller === controller && this.batches.includes(b);
    const onCertificates = this.cfg.onCertificates;
    downloadRange(this.cfg.registry, peer.id, b.start, b.count, {
      timeoutMs: this.cfg.requestTimeoutMs,
      signal: controller.signal,
      ...(onCertificates ? { onCertificates: (certs) => onCertificates(peer.id, certs) } : {}),
      // The pool checks a batch's blocks as they stream in, not after its last one: one batch of
      // large blocks over a WAN link took longer to arrive than to validate (the testnet).
      onBlocks: (blocks, height) => {
        if (current() && withinPrevalidateWindow(this.batches, b))
          this.cfg.target.prevalidate?.(blocks, height);
      },
    }).then(
      (blocks) => {
        this.balancer.release(peer);
        if (!current()) return;
        const ms = performance.now() - b.downloadStartedAt;
        this.cfg.metrics?.downloadSeconds.observe(ms / 1000);
        b.downloaded(blocks);
        this.cfg.log.debug(
          { peer: peer.id.slice(0, 12), start: b.start, count: b.count, bytes: b.bytes, ms: Math.round(ms) },
          'sync batch downloaded',
        );
        this.pump();
      },
      (error: unknown) => {
        this.balancer.release(peer);
        if (!current()) return;
        this.downloadFailed(b, peer, error, lagStart);
        this.pump();
      },
    );
  }

  private downloadFailed(b: Batch, peer: SyncPeer, error: unknown, lagStart: number): void {
    const failure: DownloadFailure = error instanceof DownloadError ? error.failure : 'remote_error';
    const detail = `${b.start}..${b.end}: ${error instanceof Error ? error.message : String(error)}`;
    const r = reactionTo(failure, {
      stalled: b.stalled,
      stallExcused: b.stallExcused,
      timeoutExcused: failure === 'timeout' && this.cfg.lag.excusesTimeout(lagStart),
    });
    if (r.report !== undefined) this.report(peer.id, r.report, detail);
    if (r.coolDown) this.balancer.coolDown(peer, this.cfg.rateLimitCooldownMs);
    this.cfg.metrics?.batches.inc({ outcome: r.outcome });
    if (r.blame) {
      peer.failures++;
      this.tally.retried();
    }
    this.cfg.log.debug(
      { peer: peer.id.slice(0, 12), failure, blame: r.blame, detail },
      'sync batch download failed',
    );
    b.downloadFailed(r.blame, r.blame);
  }

  // ------------------------------------------------------------------ import

  private async process(run: Batch[]): Promise<void> {
    for (const b of run) b.startProcessing();
    try {
      const t0 = performance.now();
      const r = await importRun(this.cfg.target, run);
      this.cfg.metrics?.importSeconds.observe((performance.now() - t0) / 1000);
      if (this.finished) return;
      this.tally.credit(r.height);
      if (r.kind === 'restart') return this.restartWindow(r.height + 1);
      if (r.kind === 'fatal') return this.fail('IMPORT_FAILED', `importing ${r.message}`, r.error);
      while (run.length > 0 && r.height >= run[0]!.end) this.completeBatch(run.shift()!);
      // The batch holding the block that stopped the import; the ones after it wait their turn.
      const stopped = run.shift();
      for (const b of run) b.requeue();
      if (stopped === undefined) return;
      const peer = stopped.peer!;
      if (r.kind === 'invalid') {
        this.cfg.metrics?.batches.inc({ outcome: 'invalid_block' });
        const action = this.report(peer, r.code, r.message);
        const p = this.balancer.get(peer);
        if (p) p.failures++;
        // A peer that is now disconnected or banned: its other buffered batches are suspect too.
        if (action === 'disconnect' || action === 'ban') this.dropBatchesOf(peer);
      }
      stopped.processingFailed(r.height + 1);
      this.tally.retried();
    } finally {
      this.processing = undefined;
      this.pump();
    }
  }

  /** A batch whose every block is now canonical. */
  private completeBatch(b: Batch): void {
    const peer = b.peer!;
    this.tally.batchDone(peer);
    const p = this.balancer.get(peer);
    if (p) p.served++;
    this.cfg.metrics?.batches.inc({ outcome: 'imported' });
    b.processed();
    this.batches.shift();
  }

  /** Buffered (not yet importing) batches of `peerId` go back to download, elsewhere. */
  private dropBatchesOf(peerId: string): void {
    for (const b of this.batches) {
      if (b.state === 'AwaitingProcessing' && b.peer === peerId) {
        b.discard();
      }
    }
  }

  private restartWindow(start: number): void {
    for (const b of this.batches) b.fail();
    this.batches = [];
    this.nextStart = start;
    this.tally.rewind(start - 1);
  }

  // ------------------------------------------------------------------ stall, reports, end

  private checkStall(): void {
    if (!this.finished) checkStall(this.cfg, this.tally, this.batches, (p, c, d) => this.report(p, c, d));
  }

  private report(peerId: string, code: string, detail: string): string {
    return reportPeer(this.cfg, peerId, code, detail);
  }

  private fail(code: SyncErrorCode, message: string, cause?: unknown): void {
    this.finish({ code, message, cause });
  }

  private finish(error?: { code: SyncErrorCode; message: string; cause?: unknown }): void {
    if (this.finished) return;
    this.finished = true;
    clearInterval(this.stallTimer);
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.signal?.removeEventListener('abort', this.onAbort);
    for (const b of this.batches) b.controller?.abort(new Error(error?.message ?? 'sync finished'));
    const settle = () => {
      const outcome = this.tally.outcome(this.cfg.target.tip().height);
      if (error) {
        this.cfg.log.warn(
          { code: error.code, ...outcome, peersUsed: outcome.peersUsed.length },
          'range sync stopped',
        );
        const cause = error.cause === undefined ? undefined : { cause: error.cause };
        this.reject(new SyncError(error.code, error.message, outcome, cause));
        return;
      }
      this.tally.emitProgress(performance.now());
      this.cfg.log.info({ ...outcome, peersUsed: outcome.peersUsed.length }, 'range sync done');
      this.resolve(outcome);
    };
    if (this.processing) void this.processing.finally(settle).catch(() => undefined);
    else settle();
  }
}
