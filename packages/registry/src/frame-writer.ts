import type { Socket } from 'node:net';

export interface FrameWriterOptions {
  /** Bytes queued (ours + the socket's buffer) above which writes are refused. */
  readonly maxQueuedBytes: number;
  /** How long the queue may stay stalled before `onTooSlow`. */
  readonly sendDrainTimeoutMs: number;
}

export interface FrameWriterHooks {
  onTooSlow(): void;
  onBytesOut(bytes: number): void;
}

interface RoomWaiter {
  need: number;
  resolve: (ok: boolean) => void;
  timer: NodeJS.Timeout;
}

/** How far control frames may go over the write-queue bound. */
export const CONTROL_SLACK = 64 * 1024;

/** Above this many queued bytes a flush writes frames one by one (corked) instead of concatenating. */
const CONCAT_LIMIT = 256 * 1024;

/**
 * The only writer of one socket. Frames queued during one tick are flushed together on a
 * microtask as one socket write (one Buffer.concat, or a corked writev when large): the
 * largest throughput win for small messages. Queued bytes are bounded; a queue that stays
 * stalled for `sendDrainTimeoutMs` is reported with `onTooSlow`.
 */
export class FrameWriter {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private flushScheduled = false;
  private waiters: RoomWaiter[] = [];
  private stallTimer: NodeJS.Timeout | null = null;
  private open = true;

  constructor(
    private readonly socket: Socket,
    private readonly opts: FrameWriterOptions,
    private readonly hooks: FrameWriterHooks,
  ) {
    socket.on('drain', () => this.afterDrain());
  }

  /** Bytes written but not yet handed to the kernel: our coalescing queue plus the socket buffer. */
  get queuedBytes(): number {
    return this.pendingBytes + (this.open ? this.socket.writableLength : 0);
  }

  /** Whether `bytes` more fit under the bound. A lone frame always fits an empty queue. */
  fits(bytes: number): boolean {
    const queued = this.queuedBytes;
    return queued === 0 || queued + bytes <= this.opts.maxQueuedBytes;
  }

  /** Queues a frame if it fits under the bound; else false (and the stall timer runs). */
  tryWrite(frame: Uint8Array): boolean {
    if (!this.fits(frame.length)) {
      this.startStallTimer();
      return false;
    }
    this.enqueue(frame);
    return true;
  }

  /**
   * Queues a small control frame (handshake, error reply, Disconnect) past the bound, up to
   * CONTROL_SLACK bytes over it, so a peer that floods requests without reading cannot grow
   * our queue with error replies. Returns false when dropped.
   */
  writeControl(frame: Uint8Array): boolean {
    if (this.queuedBytes + frame.length > this.opts.maxQueuedBytes + CONTROL_SLACK) {
      this.startStallTimer();
      return false;
    }
    this.enqueue(frame);
    return true;
  }

  /** Resolves true once `bytes` fit under the bound, false after `timeoutMs` or on close. */
  waitForRoom(bytes: number, timeoutMs: number): Promise<boolean> {
    if (!this.open) return Promise.resolve(false);
    if (this.fits(bytes)) return Promise.resolve(true);
    this.startStallTimer();
    return new Promise((resolve) => {
      const waiter: RoomWaiter = {
        need: bytes,
        resolve,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          resolve(false);
        }, timeoutMs),
      };
      waiter.timer.unref();
      this.waiters.push(waiter);
    });
  }

  /** Writes what is queued now (before a close). */
  flush(): void {
    this.flushScheduled = false;
    if (this.pending.length === 0 || !this.open) return;
    const frames = this.pending;
    const bytes = this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    this.hooks.onBytesOut(bytes);
    let below: boolean;
    if (frames.length === 1) {
      below = this.socket.write(frames[0]!);
    } else if (bytes <= CONCAT_LIMIT) {
      below = this.socket.write(Buffer.concat(frames, bytes));
    } else {
      this.socket.cork();
      below = true;
      for (const frame of frames) below = this.socket.write(frame) && below;
      this.socket.uncork();
    }
    if (below) this.afterDrain();
  }

  /** The socket closed: drop the queue, fail the waiters, stop the timer. */
  shutdown(): void {
    this.open = false;
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.stallTimer = null;
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.resolve(false);
    }
    this.waiters = [];
    this.pending = [];
    this.pendingBytes = 0;
  }

  /** No more writes will come (closing): the stall timer no longer matters. */
  stopStallTimer(): void {
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.stallTimer = null;
  }

  private enqueue(frame: Uint8Array): void {
    this.pending.push(frame);
    this.pendingBytes += frame.length;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  private afterDrain(): void {
    if (this.stallTimer && this.queuedBytes <= this.opts.maxQueuedBytes) {
      clearTimeout(this.stallTimer);
      this.stallTimer = null;
    }
    if (this.waiters.length === 0) return;
    const still: RoomWaiter[] = [];
    for (const w of this.waiters) {
      if (this.fits(w.need)) {
        clearTimeout(w.timer);
        w.resolve(true);
      } else still.push(w);
    }
    this.waiters = still;
  }

  private startStallTimer(): void {
    if (this.stallTimer || !this.open) return;
    this.stallTimer = setTimeout(() => {
      this.stallTimer = null;
      if (!this.open) return;
      // Stalled: still over the bound, or a send still waiting, or the kernel has taken
      // nothing since the socket last asked for 'drain' (a write was refused just under the
      // bound and the peer reads nothing).
      const stalled =
        this.queuedBytes > this.opts.maxQueuedBytes ||
        this.waiters.length > 0 ||
        this.socket.writableNeedDrain;
      if (stalled) this.hooks.onTooSlow();
    }, this.opts.sendDrainTimeoutMs);
    this.stallTimer.unref();
  }
}
