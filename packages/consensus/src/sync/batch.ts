/**
 * One range of heights in a range sync and its state machine (Lodestar's `sync/range/batch.ts`):
 *
 *   AwaitingDownload → Downloading → AwaitingProcessing → Processing → Done
 *          ↑_______________|  (download failed)  |_____________|  (import failed: the rest of
 *                                                      ↑_______|   the range, from the new tip)
 *                                                  (an earlier batch of its import run failed)
 *   any state → Failed (attempts exhausted, or the sync stopped)
 *
 * `failedPeers` holds every peer that failed this range: it is never asked for it again.
 */
export type BatchState =
  | 'AwaitingDownload'
  | 'Downloading'
  | 'AwaitingProcessing'
  | 'Processing'
  | 'Done'
  | 'Failed';

export class Batch {
  state: BatchState = 'AwaitingDownload';
  /** Peers that failed this range (download or import); bounded by the peers of the sync. */
  readonly failedPeers = new Set<string>();
  /** Failed attempts so far (download and import). */
  attempts = 0;
  /** The peer downloading it, or whose blocks it holds. */
  peer: string | undefined;
  blocks: Uint8Array[] | undefined;
  /** Sum of the block byte lengths held. */
  bytes = 0;
  /** Cancels the download in progress. */
  controller: AbortController | undefined;
  /** performance.now() when the current download started. */
  downloadStartedAt = 0;
  /** Set by the stall detector before it aborts the download. */
  stalled = false;
  /** The stall fell in a window where our own event loop lagged: the peer is not blamed. */
  stallExcused = false;
  /** Its blocks were handed to SyncTarget.prevalidate (once per download). */
  prevalidated = false;

  constructor(
    readonly id: number,
    public start: number,
    public end: number,
  ) {}

  get count(): number {
    return this.end - this.start + 1;
  }

  startDownload(peer: string, controller: AbortController, now: number): void {
    this.expect('AwaitingDownload');
    this.state = 'Downloading';
    this.peer = peer;
    this.controller = controller;
    this.downloadStartedAt = now;
    this.stalled = false;
    this.stallExcused = false;
  }

  downloaded(blocks: Uint8Array[]): void {
    this.expect('Downloading');
    this.state = 'AwaitingProcessing';
    this.blocks = blocks;
    this.bytes = blocks.reduce((n, b) => n + b.length, 0);
    this.controller = undefined;
  }

  /**
   * The download failed. `blame`: the peer is not asked for this range again. `counts`: it
   * uses up an attempt (a rate limit or our own lag does not).
   */
  downloadFailed(blame: boolean, counts: boolean): void {
    this.expect('Downloading');
    if (blame && this.peer !== undefined) this.failedPeers.add(this.peer);
    if (counts) this.attempts++;
    this.reset();
  }

  /** Downloaded blocks are dropped unimported (their peer turned out bad): download again. */
  discard(): void {
    this.expect('AwaitingProcessing');
    if (this.peer !== undefined) this.failedPeers.add(this.peer);
    this.reset();
  }

  startProcessing(): void {
    this.expect('AwaitingProcessing');
    this.state = 'Processing';
  }

  /** Its run's import stopped before it (at an earlier batch): it waits to be imported again. */
  requeue(): void {
    this.expect('Processing');
    this.state = 'AwaitingProcessing';
  }

  processed(): void {
    this.expect('Processing');
    this.state = 'Done';
    this.blocks = undefined;
    this.bytes = 0;
  }

  /** Import failed at a block of `peer`: download the rest, from `nextStart`, elsewhere. */
  processingFailed(nextStart: number): void {
    this.expect('Processing');
    if (this.peer !== undefined) this.failedPeers.add(this.peer);
    this.attempts++;
    this.start = nextStart;
    this.reset();
  }

  fail(): void {
    this.controller?.abort(new Error('batch failed'));
    this.state = 'Failed';
    this.reset();
    this.state = 'Failed';
  }

  private reset(): void {
    this.prevalidated = false;
    this.state = 'AwaitingDownload';
    this.peer = undefined;
    this.blocks = undefined;
    this.bytes = 0;
    this.controller = undefined;
  }

  private expect(state: BatchState): void {
    if (this.state !== state) {
      throw new Error(`batch ${this.start}..${this.end}: ${this.state}, expected ${state}`);
    }
  }
}
