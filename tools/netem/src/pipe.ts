import type { Socket } from 'node:net';
import type { DirectionFaults } from './link-faults.js';

/** Bytes queued in one direction before the source socket is paused (TCP backpressure). */
const HIGH_WATER_BYTES = 1024 * 1024;
const LOW_WATER_BYTES = 256 * 1024;
/** With a bandwidth limit, chunks are cut to this size so delivery is smooth, not bursty. */
const SHAPED_PIECE_BYTES = 4 * 1024;

interface QueuedItem {
  readonly chunk: Buffer | null; // null = the source ended (FIN)
  readonly readyAt: number;
}

export interface PipeCounters {
  bytes: number;
  flippedBytes: number;
}

/**
 * One direction of a proxied connection. Data is queued with a delivery time computed
 * from latency, jitter and bandwidth, and written in order. While held (cut or stall),
 * nothing is delivered and the source is paused, so the sender sees real TCP
 * backpressure rather than lost bytes; releasing delivers everything that waited.
 */
export class Pipe {
  private readonly queue: QueuedItem[] = [];
  private queuedBytes = 0;
  private lastReadyAt = 0;
  private lastTxEnd = 0;
  private timer: NodeJS.Timeout | null = null;
  private held = false;
  private waitingDrain = false;
  private closed = false;

  constructor(
    private readonly src: Socket,
    private readonly dst: Socket,
    private readonly faults: () => DirectionFaults,
    private readonly random: () => number,
    readonly counters: PipeCounters,
  ) {
    src.on('data', (chunk: Buffer) => this.enqueue(chunk));
    src.on('end', () => this.push(null, this.deliveryTime(0)));
  }

  hold(): void {
    this.held = true;
    this.src.pause();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    if (this.queuedBytes < LOW_WATER_BYTES) this.src.resume();
    this.schedule();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.queue.length = 0;
    this.queuedBytes = 0;
  }

  get pendingBytes(): number {
    return this.queuedBytes;
  }

  private enqueue(chunk: Buffer): void {
    const { bandwidthBytesPerSec, flipProbability } = this.faults();
    const data = flipProbability ? this.corrupt(chunk, flipProbability) : chunk;
    const piece = bandwidthBytesPerSec ? SHAPED_PIECE_BYTES : data.length;
    for (let offset = 0; offset < data.length; offset += piece) {
      const part = data.subarray(offset, offset + piece);
      this.push(part, this.deliveryTime(part.length));
    }
  }

  private deliveryTime(bytes: number): number {
    const {
      latencyMs = 0,
      jitterMs = 0,
      bandwidthBytesPerSec,
      lossProbability = 0,
      retransmitMs = 200,
    } = this.faults();
    const now = performance.now();
    const txStart = Math.max(now, this.lastTxEnd);
    const txEnd = bandwidthBytesPerSec ? txStart + (bytes / bandwidthBytesPerSec) * 1000 : now;
    this.lastTxEnd = txEnd;
    const lost = lossProbability > 0 && this.random() < lossProbability;
    const delay = Math.max(0, latencyMs + (this.random() * 2 - 1) * jitterMs) + (lost ? retransmitMs : 0);
    const readyAt = Math.max(txEnd + delay, this.lastReadyAt);
    this.lastReadyAt = readyAt;
    return readyAt;
  }

  private corrupt(chunk: Buffer, probability: number): Buffer {
    const copy = Buffer.from(chunk);
    for (let i = 0; i < copy.length; i++) {
      if (this.random() < probability) {
        copy[i]! ^= 1 << Math.floor(this.random() * 8);
        this.counters.flippedBytes++;
      }
    }
    return copy;
  }

  private push(chunk: Buffer | null, readyAt: number): void {
    if (this.closed) return;
    this.queue.push({ chunk, readyAt });
    this.queuedBytes += chunk?.length ?? 0;
    if (this.queuedBytes > HIGH_WATER_BYTES) this.src.pause();
    this.schedule();
  }

  private schedule(): void {
    if (this.held || this.timer || this.waitingDrain || this.closed) return;
    const head = this.queue[0];
    if (!head) return;
    const wait = head.readyAt - performance.now();
    if (wait <= 0) {
      this.flush();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, Math.ceil(wait));
  }

  private flush(): void {
    const now = performance.now();
    while (!this.held && !this.closed) {
      const head = this.queue[0];
      if (!head || head.readyAt > now) break;
      this.queue.shift();
      if (head.chunk === null) {
        this.dst.end();
        continue;
      }
      this.queuedBytes -= head.chunk.length;
      this.counters.bytes += head.chunk.length;
      if (!this.dst.write(head.chunk)) {
        this.waitingDrain = true;
        this.dst.once('drain', () => {
          this.waitingDrain = false;
          this.schedule();
        });
        break;
      }
    }
    if (!this.held && this.queuedBytes < LOW_WATER_BYTES && this.src.isPaused()) this.src.resume();
    this.schedule();
  }
}
