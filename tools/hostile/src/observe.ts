import { connect, type Socket } from 'node:net';
import { reasonName } from '@tc/registry';
import { type DecodedFrame, encodeFrame, FrameDecoder, type OutgoingMessage } from '@tc/wire';
import { ConnectError } from './errors.js';

/**
 * Watching the node from the outside. A `WireSocket` is a raw TCP connection that records
 * everything the node did to it: the frames it sent (its Hello, ErrorReplies, a Disconnect
 * and its reason), when and how the socket was closed (FIN or reset) and how many bytes we
 * had sent by then. The cases turn these observations into reactions
 * (disconnect / ban / rate-limit / refused / none).
 */

export interface Target {
  readonly host: string;
  readonly port: number;
}

/** How the connection ended, as seen from our side. */
export type CloseKind = 'open' | 'fin' | 'reset' | 'local';

export interface DisconnectSeen {
  /** `DisconnectReason` number. */
  readonly reason: number;
  /** e.g. "wrong-genesis", "handshake-timeout" (`reasonName` of @tc/registry). */
  readonly name: string;
  readonly message: string;
}

/** Everything observed on one connection. */
export interface Observation {
  readonly connected: boolean;
  /** The node sent its Hello: it admitted the socket into a handshake. */
  readonly helloReceived: boolean;
  /** The node closed the connection (FIN or reset) before we did. */
  readonly closedByNode: boolean;
  readonly closeKind: CloseKind;
  /** Milliseconds from TCP connect to the close (undefined while open). */
  readonly closedAfterMs: number | undefined;
  /** Bytes we had written when the node closed (or now, if open). */
  readonly bytesSentBeforeClose: number;
  readonly bytesReceived: number;
  readonly framesReceived: number;
  readonly disconnect: DisconnectSeen | undefined;
  /** ErrorReply frames by code number (at most 64 distinct codes, the rest under -1). */
  readonly errorReplies: Readonly<Record<number, number>>;
  /** Frames received by kind. */
  readonly kinds: Readonly<Record<string, number>>;
  /** The node's byte stream could not be decoded (should never happen). */
  readonly decodeError: string | undefined;
}

export interface WireSocketOptions {
  /** TCP connect timeout (default 5 000 ms). */
  connectTimeoutMs?: number;
  /** Local address to bind (e.g. one loopback alias per attacker). */
  localAddress?: string;
  /** Frames kept in `frames` (default 256); later frames are only counted. */
  keepFrames?: number;
}

type Listener = () => void;

const MAX_ERROR_CODES = 64;

/** A raw TCP connection to the node that decodes and records what comes back. */
export class WireSocket {
  readonly frames: DecodedFrame[] = [];
  readonly connectedAt: number;
  bytesSent = 0;
  bytesReceived = 0;
  framesReceived = 0;
  helloReceived = false;
  disconnect: DisconnectSeen | undefined;
  decodeError: string | undefined;
  closedAt: number | undefined;
  /** When the node's FIN or reset arrived (may precede the full close). */
  nodeClosedAt: number | undefined;
  closeKind: CloseKind = 'open';
  bytesSentBeforeClose: number | undefined;
  readonly errorReplies: Record<number, number> = {};
  readonly kinds: Record<string, number> = {};
  private readonly decoder = new FrameDecoder();
  private readonly listeners = new Set<Listener>();
  private readonly frameListeners = new Set<(frame: DecodedFrame) => void>();
  private ended = false;
  private resetSeen = false;
  private destroyedByUs = false;

  private constructor(
    readonly socket: Socket,
    private readonly keepFrames: number,
  ) {
    this.connectedAt = Date.now();
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => {
      this.ended = true;
      this.markNodeClosed();
      this.notify();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') {
        this.resetSeen = true;
        this.markNodeClosed();
      }
    });
    socket.on('close', () => this.onClose());
  }

  /** Connects (bounded by `connectTimeoutMs`); rejects with ConnectError. */
  static connect(target: Target, opts: WireSocketOptions = {}): Promise<WireSocket> {
    const timeoutMs = opts.connectTimeoutMs ?? 5_000;
    return new Promise((resolve, reject) => {
      const socket = connect({
        host: target.host,
        port: target.port,
        ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
      });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new ConnectError('CONNECT_TIMEOUT', `no TCP connection within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new WireSocket(socket, opts.keepFrames ?? 256));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(new ConnectError('CONNECT_FAILED', error.message));
      });
    });
  }

  get closed(): boolean {
    return this.closeKind !== 'open';
  }

  /** The node closed its side (FIN seen or reset), whether or not the socket is fully closed yet. */
  get closedByNode(): boolean {
    return (this.ended || this.resetSeen) && !this.destroyedByUs;
  }

  /** Writes bytes (ignored once closed). Returns false when the socket buffer is full. */
  writeRaw(bytes: Uint8Array): boolean {
    if (this.socket.destroyed || !this.socket.writable) return false;
    this.bytesSent += bytes.length;
    return this.socket.write(bytes);
  }

  send(msg: OutgoingMessage): boolean {
    return this.writeRaw(encodeFrame(msg));
  }

  /** Calls `fn` for every decoded frame from now on; returns the unsubscribe function. */
  onFrame(fn: (frame: DecodedFrame) => void): () => void {
    this.frameListeners.add(fn);
    return () => this.frameListeners.delete(fn);
  }

  /**
   * Resolves true as soon as `check()` holds (checked now and after every frame and on close),
   * false after `timeoutMs`.
   */
  waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
    if (check()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const listener = () => {
        if (!check()) return;
        finish(true);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      timer.unref();
      const finish = (ok: boolean) => {
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve(ok);
      };
      this.listeners.add(listener);
    });
  }

  /** Resolves true once the node closed the connection (FIN, reset or full close), false after `timeoutMs`. */
  waitClosedByNode(timeoutMs: number): Promise<boolean> {
    return this.waitFor(() => this.closedByNode || this.closed, timeoutMs);
  }

  pauseReading(): void {
    this.socket.pause();
  }

  resumeReading(): void {
    this.socket.resume();
  }

  /** Closes from our side (records that we, not the node, closed it). */
  destroy(): void {
    if (!this.closed && !this.ended && !this.resetSeen) this.destroyedByUs = true;
    this.socket.destroy();
  }

  observation(): Observation {
    const sent = this.bytesSentBeforeClose ?? this.bytesSent;
    const closedAt = this.nodeClosedAt ?? this.closedAt;
    return {
      connected: true,
      helloReceived: this.helloReceived,
      closedByNode: this.closedByNode,
      closeKind:
        this.closeKind === 'open' && this.closedByNode ? (this.resetSeen ? 'reset' : 'fin') : this.closeKind,
      closedAfterMs: closedAt === undefined ? undefined : closedAt - this.connectedAt,
      bytesSentBeforeClose: sent,
      bytesReceived: this.bytesReceived,
      framesReceived: this.framesReceived,
      disconnect: this.disconnect,
      errorReplies: { ...this.errorReplies },
      kinds: { ...this.kinds },
      decodeError: this.decodeError,
    };
  }

  private onData(chunk: Buffer): void {
    this.bytesReceived += chunk.length;
    if (this.decoder.broken) return;
    try {
      for (const frame of this.decoder.push(chunk)) this.onDecoded(frame);
    } catch (error) {
      this.decodeError = (error as Error).message;
    }
    this.notify();
  }

  private onDecoded(frame: DecodedFrame): void {
    this.framesReceived++;
    this.kinds[frame.kind] = (this.kinds[frame.kind] ?? 0) + 1;
    if (frame.kind === 'hello') this.helloReceived = true;
    if (frame.kind === 'error') {
      // At most MAX_ERROR_CODES distinct codes are kept; the rest count under -1.
      const known = frame.body.code in this.errorReplies;
      const code = known || Object.keys(this.errorReplies).length < MAX_ERROR_CODES ? frame.body.code : -1;
      this.errorReplies[code] = (this.errorReplies[code] ?? 0) + 1;
    }
    if (frame.kind === 'disconnect') {
      this.disconnect = {
        reason: frame.body.reason,
        name: reasonName(frame.body.reason),
        message: frame.body.message,
      };
    }
    if (this.frames.length < this.keepFrames) this.frames.push(frame);
    for (const fn of this.frameListeners) fn(frame);
  }

  private markNodeClosed(): void {
    if (this.destroyedByUs || this.nodeClosedAt !== undefined) return;
    this.nodeClosedAt = Date.now();
    this.bytesSentBeforeClose ??= this.bytesSent;
  }

  private onClose(): void {
    if (this.closeKind !== 'open') return;
    this.closedAt = Date.now();
    this.bytesSentBeforeClose ??= this.bytesSent;
    this.closeKind = this.destroyedByUs ? 'local' : this.resetSeen ? 'reset' : 'fin';
    this.notify();
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

/** One line describing how a connection ended, for the report. */
export function describeClose(o: Observation): string {
  if (!o.closedByNode) return o.closeKind === 'local' ? 'still open when we closed it' : 'still open';
  const how = o.closeKind === 'reset' ? 'reset' : 'closed';
  const after = o.closedAfterMs === undefined ? '' : ` after ${o.closedAfterMs} ms`;
  const dc = o.disconnect ? `, Disconnect ${o.disconnect.name}` : ', no Disconnect frame';
  return `${how} by node${after} (${o.bytesSentBeforeClose} B sent)${dc}`;
}

/** What a reconnection attempt from the same address saw. */
export type AddressProbe = 'admitted' | 'refused' | 'silent' | 'connect-failed';

/**
 * Connects once more from the same address and waits up to `waitMs` for the node's Hello.
 * `refused`: the node closed the socket without a Hello (an address ban, or an admission
 * limit such as too-many-per-ip or subnet-rate; from outside these look alike). `silent`: still
 * open without a Hello after `waitMs`.
 */
export async function probeAddress(
  target: Target,
  opts: WireSocketOptions & { waitMs?: number } = {},
): Promise<AddressProbe> {
  let ws: WireSocket;
  try {
    ws = await WireSocket.connect(target, opts);
  } catch {
    return 'connect-failed';
  }
  try {
    await ws.waitFor(() => ws.helloReceived || ws.closedByNode || ws.closed, opts.waitMs ?? 1_000);
    if (ws.helloReceived) return 'admitted';
    return ws.closedByNode || ws.closed ? 'refused' : 'silent';
  } finally {
    ws.destroy();
  }
}

/** Sleeps `ms` (the timer does not keep the process alive). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
