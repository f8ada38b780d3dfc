import type { Socket } from 'node:net';
import { type DecodedFrame, FrameDecoder, WireError, type WireLimits } from '@tc/wire';

export interface ConnectionOptions {
  readonly wireLimits: WireLimits;
  /** Bytes queued (ours + the socket's buffer) above which writes are refused and a stall timer runs. */
  readonly maxQueuedBytes: number;
  /** How long the queue may stay over `maxQueuedBytes` before `onTooSlow`. */
  readonly sendDrainTimeoutMs: number;
  /** How long a graceful close may take before the socket is destroyed. */
  readonly closeTimeoutMs: number;
  readonly keepAliveMs?: number;
}

export interface ConnectionHandlers {
  onFrame(frame: DecodedFrame): void;
  /** The byte stream is broken (oversize prefix, garbage). The connection is already being destroyed. */
  onWireError(error: WireError): void;
  /** The write queue stayed over its bound for `sendDrainTimeoutMs`. */
  onTooSlow(): void;
  onClose(error: Error | undefined): void;
  onBytes?(direction: 'in' | 'out', bytes: number): void;
  /**
   * Every whole frame received so far was delivered; `partialBytes` of the next one are
   * buffered. The handshake uses it to refuse a large frame before it is buffered whole.
   */
  onDrained?(partialBytes: number): void;
}

interface DrainWaiter {
  need: number;
  resolve: (ok: boolean) => void;
  timer: NodeJS.Timeout;
}

/** How far control frames may go over the write-queue bound. */
const CONTROL_SLACK = 64 * 1024;

/** Above this many queued bytes a flush writes frames one by one (corked) instead of concatenating. */
const CONCAT_LIMIT = 256 * 1024;

/**
 * One TCP socket: the streaming decoder on the read side, and the only writer on the write
 * side. Frames written during one tick are coalesced into a single socket write (or one
 * corked writev), which is the largest throughput win on small messages. Queued bytes are
 * bounded; a socket that stays over the bound is reported as too slow.
 */
export class Connection {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localPort: number;
  private readonly decoder: FrameDecoder;
  private handlers: ConnectionHandlers;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private flushScheduled = false;
  private readonly pausedBy = new Set<string>();
  private frames: Iterator<DecodedFrame> | null = null;
  private backlog: Buffer[] = [];
  private waiters: DrainWaiter[] = [];
  private stallTimer: NodeJS.Timeout | null = null;
  private closeTimer: NodeJS.Timeout | null = null;
  private closing = false;
  private pumping = false;
  private closedFlag = false;
  private lastError: Error | undefined;
  bytesIn = 0;
  bytesOut = 0;

  constructor(
    readonly socket: Socket,
    private readonly opts: ConnectionOptions,
    handlers: ConnectionHandlers,
  ) {
    this.handlers = handlers;
    this.decoder = new FrameDecoder(opts.wireLimits);
    this.remoteAddress = normaliseIp(socket.remoteAddress ?? '');
    this.remotePort = socket.remotePort ?? 0;
    this.localPort = socket.localPort ?? 0;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, opts.keepAliveMs ?? 30_000);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.afterDrain());
    socket.on('error', (error) => {
      this.lastError = error;
    });
    socket.on('close', () => this.onSocketClose());
  }

  /** Replaces the frame handlers (handshake → session). */
  setHandlers(handlers: ConnectionHandlers): void {
    this.handlers = handlers;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** True while frames may still be written (not closing, not closed). */
  get writable(): boolean {
    return !this.closing && !this.closedFlag;
  }

  /** Bytes written but not yet handed to the kernel: our coalescing queue plus the socket buffer. */
  get queuedBytes(): number {
    return this.pendingBytes + (this.closedFlag ? 0 : this.socket.writableLength);
  }

  /** Whether `bytes` more fit under the bound. A lone frame always fits an empty queue. */
  fits(bytes: number): boolean {
    const queued = this.queuedBytes;
    return queued === 0 || queued + bytes <= this.opts.maxQueuedBytes;
  }

  /**
   * Queues a frame if it fits under the bound. Returns false (and starts the stall timer)
   * when it does not, or when the connection is closing.
   */
  tryWrite(frame: Uint8Array): boolean {
    if (!this.writable) return false;
    if (!this.fits(frame.length)) {
      this.startStallTimer();
      return false;
    }
    this.enqueue(frame);
    return true;
  }

  /**
   * Queues a small control frame (handshake, error reply, Disconnect) past the bound, up to
   * CONTROL_SLACK bytes over it: a peer that floods requests without reading cannot grow
   * our queue with error replies. Returns false when dropped.
   */
  writeControl(frame: Uint8Array): boolean {
    if (!this.writable) return false;
    if (this.queuedBytes + frame.length > this.opts.maxQueuedBytes + CONTROL_SLACK) {
      this.startStallTimer();
      return false;
    }
    this.enqueue(frame);
    return true;
  }

  /** Resolves true once `bytes` fit under the bound, false after `timeoutMs` or on close. */
  waitForRoom(bytes: number, timeoutMs: number): Promise<boolean> {
    if (!this.writable) return Promise.resolve(false);
    if (this.fits(bytes)) return Promise.resolve(true);
    this.startStallTimer();
    return new Promise((resolve) => {
      const waiter: DrainWaiter = {
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

  /** Stops delivering frames (and reading the socket) until every `reason` is resumed. */
  pause(reason: string): void {
    this.pausedBy.add(reason);
    if (!this.closedFlag) this.socket.pause();
  }

  resume(reason: string): void {
    if (!this.pausedBy.delete(reason) || this.pausedBy.size > 0) return;
    if (!this.closedFlag) this.socket.resume();
    this.pump();
  }

  /**
   * Graceful close: writes `finalFrame` (a Disconnect) after what is queued, ends the
   * socket, and destroys it if it has not closed after `closeTimeoutMs`.
   */
  close(finalFrame?: Uint8Array): void {
    if (this.closing || this.closedFlag) return;
    if (finalFrame) this.enqueue(finalFrame);
    this.closing = true;
    this.flush();
    this.socket.end();
    this.closeTimer = setTimeout(() => this.socket.destroy(), this.opts.closeTimeoutMs);
    this.closeTimer.unref();
  }

  destroy(error?: Error): void {
    if (error) this.lastError ??= error;
    this.closing = true;
    this.socket.destroy();
  }

  private enqueue(frame: Uint8Array): void {
    this.pending.push(frame);
    this.pendingBytes += frame.length;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.pending.length === 0 || this.closedFlag) return;
    const frames = this.pending;
    const bytes = this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    this.bytesOut += bytes;
    this.handlers.onBytes?.('out', bytes);
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

  private afterDrain(): void {
    const queued = this.queuedBytes;
    if (queued <= this.opts.maxQueuedBytes && this.stallTimer) {
      clearTimeout(this.stallTimer);
      this.stallTimer = null;
    }
    if (this.waiters.length === 0) return;
    const still: DrainWaiter[] = [];
    for (const w of this.waiters) {
      if (this.fits(w.need)) {
        clearTimeout(w.timer);
        w.resolve(true);
      } else still.push(w);
    }
    this.waiters = still;
  }

  private startStallTimer(): void {
    if (this.stallTimer || !this.writable) return;
    this.stallTimer = setTimeout(() => {
      this.stallTimer = null;
      if (!this.writable) return;
      // Too slow: still over the bound, or a send still waiting, or the kernel has taken
      // nothing since the socket last asked for 'drain' (a write was refused just under the
      // bound and the peer reads nothing).
      const stalled =
        this.queuedBytes > this.opts.maxQueuedBytes ||
        this.waiters.length > 0 ||
        this.socket.writableNeedDrain;
      if (stalled) this.handlers.onTooSlow();
    }, this.opts.sendDrainTimeoutMs);
    this.stallTimer.unref();
  }

  private onData(chunk: Buffer): void {
    this.bytesIn += chunk.length;
    this.handlers.onBytes?.('in', chunk.length);
    if (this.decoder.broken || this.closedFlag) return;
    if (this.frames !== null || this.pausedBy.size > 0) {
      this.backlog.push(chunk);
      if (this.frames === null && this.pausedBy.size === 0) this.pump();
      return;
    }
    this.frames = this.decoder.push(chunk);
    this.pump();
  }

  /** Delivers decoded frames until paused, closed or out of bytes. */
  private pump(): void {
    if (this.pumping) return; // the outer call on the stack keeps delivering
    this.pumping = true;
    try {
      this.pumpFrames();
    } finally {
      this.pumping = false;
    }
  }

  private pumpFrames(): void {
    while (this.pausedBy.size === 0 && !this.closedFlag && !this.decoder.broken) {
      if (this.frames === null) {
        const next = this.backlog.shift();
        if (next === undefined) {
          this.handlers.onDrained?.(this.decoder.bufferedBytes);
          return;
        }
        this.frames = this.decoder.push(next);
      }
      let step: IteratorResult<DecodedFrame>;
      try {
        step = this.frames.next();
      } catch (error) {
        this.frames = null;
        this.backlog = [];
        if (error instanceof WireError) {
          this.destroy(error);
          this.handlers.onWireError(error);
          return;
        }
        throw error;
      }
      if (step.done) {
        this.frames = null;
        continue;
      }
      try {
        this.handlers.onFrame(step.value);
      } catch (error) {
        // A bug in routing must not escape into the socket's event handler (it would crash
        // the process): this connection is dropped instead.
        this.destroy(error instanceof Error ? error : new Error(String(error)));
        return;
      }
    }
  }

  private onSocketClose(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.closing = true;
    if (this.closeTimer) clearTimeout(this.closeTimer);
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.closeTimer = this.stallTimer = null;
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.resolve(false);
    }
    this.waiters = [];
    this.pending = [];
    this.pendingBytes = 0;
    this.frames = null;
    this.backlog = [];
    this.handlers.onClose(this.lastError);
  }
}

/** "::ffff:1.2.3.4" → "1.2.3.4". */
export function normaliseIp(ip: string): string {
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}
