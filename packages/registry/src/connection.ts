import type { Socket } from 'node:net';
import { type DecodedFrame, FrameDecoder, type FrameHeader, WireError, type WireLimits } from '@tc/wire';
import { normaliseIp } from './admission/index.js';
import { FrameWriter } from './frame-writer.js';

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
  /** A frame's header, before its body is buffered; throw a WireError to refuse the frame. */
  onHeader?(header: FrameHeader): void;
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

/**
 * One TCP socket: the streaming decoder on the read side (with pause/resume for parking and
 * stream backpressure), and its FrameWriter, the only writer, on the write side.
 */
export class Connection {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localPort: number;
  private readonly decoder: FrameDecoder;
  private handlers: ConnectionHandlers;
  private readonly writer: FrameWriter;
  private readonly pausedBy = new Set<string>();
  private frames: Iterator<DecodedFrame> | null = null;
  private backlog: Buffer[] = [];
  private closeTimer: NodeJS.Timeout | null = null;
  private closing = false;
  private pumping = false;
  private closedFlag = false;
  private lastError: Error | undefined;
  /** A wire error broke the stream: what arrives after it is read and dropped. */
  private unreadable = false;
  bytesIn = 0;
  bytesOut = 0;

  constructor(
    readonly socket: Socket,
    private readonly opts: ConnectionOptions,
    handlers: ConnectionHandlers,
  ) {
    this.handlers = handlers;
    this.decoder = new FrameDecoder(opts.wireLimits, {
      onHeader: (header) => this.handlers.onHeader?.(header),
    });
    this.remoteAddress = normaliseIp(socket.remoteAddress ?? '');
    this.remotePort = socket.remotePort ?? 0;
    this.localPort = socket.localPort ?? 0;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, opts.keepAliveMs ?? 30_000);
    this.writer = new FrameWriter(socket, opts, {
      onTooSlow: () => this.handlers.onTooSlow(),
      onBytesOut: (bytes) => {
        this.bytesOut += bytes;
        this.handlers.onBytes?.('out', bytes);
      },
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
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
    return this.writer.queuedBytes;
  }

  /** Queues a frame if it fits under the write-queue bound (see FrameWriter). */
  tryWrite(frame: Uint8Array): boolean {
    return this.writable && this.writer.tryWrite(frame);
  }

  /** Queues a small control frame a little past the bound (see FrameWriter). */
  writeControl(frame: Uint8Array): boolean {
    return this.writable && this.writer.writeControl(frame);
  }

  /** Resolves true once `bytes` fit under the bound, false after `timeoutMs` or on close. */
  waitForRoom(bytes: number, timeoutMs: number): Promise<boolean> {
    return this.writable ? this.writer.waitForRoom(bytes, timeoutMs) : Promise.resolve(false);
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
    if (finalFrame) this.writer.writeControl(finalFrame);
    this.closing = true;
    this.writer.flush();
    this.writer.stopStallTimer();
    this.socket.end();
    // Keep reading (and discarding) until the peer's FIN, so the close is clean, not a reset.
    this.pausedBy.clear();
    this.socket.resume();
    this.closeTimer = setTimeout(() => this.socket.destroy(), this.opts.closeTimeoutMs);
    this.closeTimer.unref();
  }

  destroy(error?: Error): void {
    if (error) this.lastError ??= error;
    this.closing = true;
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.bytesIn += chunk.length;
    this.handlers.onBytes?.('in', chunk.length);
    // Closing: read (to reach the peer's FIN) but neither buffer nor deliver anything more.
    if (this.decoder.broken || this.closing || this.unreadable) return;
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
    while (this.pausedBy.size === 0 && !this.closing && !this.decoder.broken && !this.unreadable) {
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
          // The stream cannot resync, so nothing more is read; but the write side still works:
          // the error table's reaction closes with Disconnect{reason} (FRAME_REFUSED,
          // FRAME_TOO_LARGE, ...). Whatever it decides, the connection ends with its decoder.
          this.lastError ??= error;
          this.unreadable = true;
          this.handlers.onWireError(error);
          if (!this.closing && !this.closedFlag) this.close();
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
    this.closeTimer = null;
    this.writer.shutdown();
    this.frames = null;
    this.backlog = [];
    this.handlers.onClose(this.lastError);
  }
}
