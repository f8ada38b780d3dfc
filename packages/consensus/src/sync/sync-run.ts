import type { EventLoopLagMonitor, Logger, PeerConnectionRegistry } from '@tc/registry';
import type { SyncTarget } from '../chain/sync-target.js';
import { CONSENSUS_ERROR_ACTIONS, isConsensusError } from '../errors.js';
import { Batch } from './batch.js';
import { DownloadError, type DownloadFailure, downloadRange } from './download.js';
import { SyncError, type SyncErrorCode, type SyncOutcome } from './errors.js';
import { type BlockQuota, PeerBalancer, type SyncPeer } from './peer-balancer.js';
import type { BatchOutcome, SyncMetrics } from './sync-metrics.js';

/** A peer to sync from: its node id and the tip it announced. */
export interface SyncPeerInput {
  readonly peerId: string;
  readonly height: number;
  readonly hash: Uint8Array;
}

/** The 'progress' event: emitted at most every progressIntervalMs, and once at the end. */
export interface SyncProgress {
  readonly height: number;
  readonly target: number;
  /** Import rate over the last ~5 s. */
  readonly blocksPerSec: number;
  /** Connected peers that can serve the heights still missing. */
  readonly peers: number;
}

/** The 'stalled' event: no block imported for stallTimeoutMs. */
export interface SyncStalled {
  readonly height: number;
  readonly target: number;
  readonly sinceMs: number;
  /** The batch that blocks progress (the lowest one not imported). */
  readonly batch: { readonly start: number; readonly end: number; readonly state: string } | undefined;
  readonly peer: string | undefined;
  /** 'reassigned': its download was cancelled and goes to another peer; 'waiting': nothing to move. */
  readonly action: 'reassigned' | 'waiting';
}

export interface RunConfig {
  readonly registry: PeerConnectionRegistry;
  readonly target: SyncTarget;
  readonly batchSize: number;
  readonly maxBatchesAhead: number;
  readonly maxBufferedBytes: number;
  readonly requestTimeoutMs: number;
  readonly stallTimeoutMs: number;
  readonly maxAttemptsPerBatch: number;
  readonly maxInflightPerPeer: number;
  readonly maxPeers: number;
  readonly peerQuota: BlockQuota | undefined;
  readonly rateLimitCooldownMs: number;
  readonly progressIntervalMs: number;
  readonly log: Logger;
  readonly metrics: SyncMetrics | undefined;
  readonly lag: EventLoopLagMonitor;
  readonly onProgress: (p: SyncProgress) => void;
  readonly onStalled: (s: SyncStalled) => void;
}

const RATE_WINDOW_MS = 5_000;

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
  private targetHeight: number;
  private readonly fromHeight: number;
  private height: number;
  private processing: Promise<void> | undefined;
  private finished = false;
  private readonly startedAt = performance.now();
  private lastProgressAt = this.startedAt;
  private lastEmitAt = 0;
  private readonly samples: Array<{ t: number; h: number }>;
  private imported = 0;
  private batchesDone = 0;
  private retries = 0;
  private readonly peersUsed = new Set<string>();
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
    this.fromHeight = cfg.target.tip().height;
    this.height = this.fromHeight;
    this.nextStart = this.fromHeight + 1;
    this.targetHeight = Math.max(this.fromHeight, this.balancer.upsert(peers));
    this.samples = [{ t: this.startedAt, h: this.fromHeight }];
    cfg.metrics?.height.set(this.height);
    cfg.metrics?.targetHeight.set(this.targetHeight);
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
      { from: this.fromHeight, target: this.targetHeight, peers: this.balancer.usefulCount(this.nextStart) },
      'range sync started',
    );
    this.pump();
  }

  /** More peers (or higher tips of known ones) while the sync runs; may raise the target. */
  addPeers(peers: readonly SyncPeerInput[]): void {
    if (this.finished) return;
    this.targetHeight = Math.max(this.targetHeight, this.balancer.upsert(peers));
    this.cfg.metrics?.targetHeight.set(this.targetHeight);
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
      this.nextStart <= this.targetHeight &&
      this.bufferedBytes() < this.cfg.maxBufferedBytes
    ) {
      const end = Math.min(this.nextStart + this.cfg.batchSize - 1, this.targetHeight);
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
    const head = this.batches[0];
    if (head?.state === 'AwaitingProcessing' && this.processing === undefined) {
      this.processing = this.process(head);
    }
    if (this.batches.length === 0 && this.nextStart > this.targetHeight) {
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
    downloadRange(this.cfg.registry, peer.id, b.start, b.count, {
      timeoutMs: this.cfg.requestTimeoutMs,
      signal: controller.signal,
    }).then(
      (blocks) => {
        this.balancer.release(peer);
        if (!current()) return;
        this.cfg.metrics?.downloadSeconds.observe((performance.now() - b.downloadStartedAt) / 1000);
        b.downloaded(blocks);
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
    let blame = true;
    let outcome: BatchOutcome = failure === 'aborted' ? 'stalled' : failure;
    if (failure === 'aborted') {
      blame = b.stalled && !b.stallExcused; // the stall detector reported it already
    } else if (failure === 'rate_limited') {
      blame = false;
      this.balancer.coolDown(peer, this.cfg.rateLimitCooldownMs);
    } else if (failure === 'timeout') {
      blame = !this.cfg.lag.excusesTimeout(lagStart);
      if (blame) this.report(peer.id, 'REQUEST_TIMEOUT', detail);
    } else if (failure === 'empty') this.report(peer.id, 'SYNC_EMPTY_BATCH', detail);
    else if (failure === 'short') this.report(peer.id, 'SYNC_SHORT_BATCH', detail);
    else if (failure === 'bad') this.report(peer.id, 'SYNC_BAD_BATCH', detail);
    if (failure === 'aborted' && !b.stalled) outcome = 'disconnected';
    this.cfg.metrics?.batches.inc({ outcome });
    if (blame) {
      peer.failures++;
      this.retries++;
    }
    this.cfg.log.debug({ peer: peer.id.slice(0, 12), failure, blame, detail }, 'sync batch download failed');
    b.downloadFailed(blame, blame);
  }

  // ------------------------------------------------------------------ import

  private async process(b: Batch): Promise<void> {
    b.startProcessing();
    const before = this.cfg.target.tip().height;
    const peer = b.peer!;
    let blocks = b.blocks!;
    try {
      if (b.start > before + 1) {
        // The tip moved back under us (a reorg by the chain manager): restart from it.
        this.restartWindow(before + 1);
        return;
      }
      if (b.start <= before) blocks = blocks.slice(before + 1 - b.start); // the tip moved ahead
      const t0 = performance.now();
      if (blocks.length > 0) await this.cfg.target.importBlocks(blocks, peer);
      this.cfg.metrics?.importSeconds.observe((performance.now() - t0) / 1000);
      if (this.finished) return;
      const after = this.cfg.target.tip().height;
      this.credit(after);
      if (after >= b.end) {
        b.processed();
        this.batches.shift();
        this.batchesDone++;
        this.peersUsed.add(peer);
        const p = this.balancer.get(peer);
        if (p) p.served++;
        this.cfg.metrics?.batches.inc({ outcome: 'imported' });
      } else {
        b.processingFailed(after + 1);
        this.retries++;
      }
    } catch (error) {
      if (this.finished) return;
      const after = this.cfg.target.tip().height;
      this.credit(after);
      const code = consensusCode(error);
      if (code === undefined) {
        this.fail('IMPORT_FAILED', `importing ${b.start}..${b.end}: ${String(error)}`, error);
        return;
      }
      this.cfg.metrics?.batches.inc({ outcome: 'invalid_block' });
      const action = this.report(peer, code, `${b.start}..${b.end}: ${(error as Error).message}`);
      const p = this.balancer.get(peer);
      if (p) p.failures++;
      this.retries++;
      if (after >= b.end) {
        b.processed();
        this.batches.shift();
      } else b.processingFailed(after + 1);
      // A peer that is now disconnected or banned: its other buffered batches are suspect too.
      if (action === 'disconnect' || action === 'ban') this.dropBatchesOf(peer);
    } finally {
      this.processing = undefined;
      this.pump();
    }
  }

  private credit(height: number): void {
    if (height <= this.height) return;
    const now = performance.now();
    this.imported += height - this.height;
    this.cfg.metrics?.blocksImported.inc(height - this.height);
    this.height = height;
    this.lastProgressAt = now;
    this.cfg.metrics?.height.set(height);
    this.samples.push({ t: now, h: height });
    while (
      this.samples.length > 64 ||
      (this.samples.length > 2 && this.samples[0]!.t < now - RATE_WINDOW_MS)
    ) {
      this.samples.shift();
    }
    if (now - this.lastEmitAt >= this.cfg.progressIntervalMs) this.emitProgress(now);
  }

  private emitProgress(now: number): void {
    this.lastEmitAt = now;
    const first = this.samples[0]!;
    const last = this.samples[this.samples.length - 1]!;
    const dt = last.t - first.t;
    this.cfg.onProgress({
      height: this.height,
      target: this.targetHeight,
      blocksPerSec: dt > 0 ? ((last.h - first.h) * 1000) / dt : 0,
      peers: this.balancer.usefulCount(Math.min(this.height + 1, this.targetHeight)),
    });
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
    this.height = Math.min(this.height, start - 1);
  }

  // ------------------------------------------------------------------ stall, reports, end

  private checkStall(): void {
    if (this.finished) return;
    const now = performance.now();
    const sinceMs = now - this.lastProgressAt;
    if (sinceMs < this.cfg.stallTimeoutMs) return;
    this.lastProgressAt = now; // the next stall is another stallTimeoutMs away
    this.cfg.metrics?.stalls.inc();
    const head = this.batches[0];
    let action: SyncStalled['action'] = 'waiting';
    if (head?.state === 'Downloading' && head.peer !== undefined) {
      head.stalled = true;
      head.stallExcused = this.cfg.lag.excusesTimeout(this.cfg.lag.now() - this.cfg.stallTimeoutMs);
      if (!head.stallExcused) this.report(head.peer, 'SYNC_STALLED', `${head.start}..${head.end}`);
      action = 'reassigned';
    }
    const info: SyncStalled = {
      height: this.height,
      target: this.targetHeight,
      sinceMs: Math.round(sinceMs),
      batch: head ? { start: head.start, end: head.end, state: head.state } : undefined,
      peer: head?.peer,
      action,
    };
    this.cfg.log.warn(info, 'range sync stalled');
    this.cfg.onStalled(info);
    if (action === 'reassigned') head!.controller?.abort(new Error('sync stalled'));
  }

  private report(peerId: string, code: string, detail: string): string {
    try {
      const decision = this.cfg.registry.reportPeer(peerId, code, detail);
      this.cfg.metrics?.peerReports.inc({ code });
      this.cfg.log.warn(
        { peer: peerId.slice(0, 12), code, action: decision.action, detail },
        'sync reported peer',
      );
      return decision.action;
    } catch (error) {
      this.cfg.log.error({ err: String(error) }, 'reportPeer failed');
      return 'ignore';
    }
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
      const outcome = this.outcome();
      if (error) {
        this.cfg.log.warn(
          { code: error.code, ...outcome, peersUsed: outcome.peersUsed.length },
          'range sync stopped',
        );
        const cause = error.cause === undefined ? undefined : { cause: error.cause };
        this.reject(new SyncError(error.code, error.message, outcome, cause));
        return;
      }
      this.emitProgress(performance.now());
      this.cfg.log.info({ ...outcome, peersUsed: outcome.peersUsed.length }, 'range sync done');
      this.resolve(outcome);
    };
    if (this.processing) void this.processing.then(settle);
    else settle();
  }

  private outcome(): SyncOutcome {
    const toHeight = this.cfg.target.tip().height;
    return {
      fromHeight: this.fromHeight,
      toHeight,
      targetHeight: this.targetHeight,
      imported: this.imported,
      durationMs: Math.round(performance.now() - this.startedAt),
      batches: this.batchesDone,
      retries: this.retries,
      peersUsed: [...this.peersUsed],
    };
  }
}

/** The consensus code of an import error, or undefined when it is not a rule violation. */
function consensusCode(error: unknown): string | undefined {
  if (isConsensusError(error)) return error.code;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && Object.hasOwn(CONSENSUS_ERROR_ACTIONS, code) ? code : undefined;
}
