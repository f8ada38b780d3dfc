export interface ReconnectQueueOptions {
  baseMs: number;
  maxMs: number;
  /** A session shorter than this counts as a failure for the backoff. */
  stableMs: number;
  /** Dials the address; resolves once connected, rejects on failure. */
  dial: (address: string) => Promise<unknown>;
  /** Whether a live session already covers this address (then nothing is scheduled). */
  isConnected: (address: string) => boolean;
  random?: () => number;
  now?: () => number;
}

interface Entry {
  attempts: number;
  timer: NodeJS.Timeout | null;
  dialing: boolean;
  connectedAtMs: number;
}

/**
 * Redials persistent peers (configured or bootstrap) with exponential backoff and jitter:
 * delay = min(maxMs, baseMs · 2^attempts) · (0.5 + random/2). Each address has exactly one
 * owner: at most one timer or dial at a time, whatever reports the loss.
 */
export class ReconnectQueue {
  private readonly entries = new Map<string, Entry>();
  private stopped = false;
  private readonly random: () => number;
  private readonly now: () => number;

  constructor(private readonly opts: ReconnectQueueOptions) {
    this.random = opts.random ?? Math.random;
    this.now = opts.now ?? Date.now;
  }

  /** Registers a persistent address and dials it now. */
  add(address: string): void {
    if (this.entries.has(address)) return;
    this.entries.set(address, { attempts: 0, timer: null, dialing: false, connectedAtMs: 0 });
    this.attempt(address);
  }

  remove(address: string): void {
    const e = this.entries.get(address);
    if (e?.timer) clearTimeout(e.timer);
    this.entries.delete(address);
  }

  has(address: string): boolean {
    return this.entries.has(address);
  }

  addresses(): string[] {
    return [...this.entries.keys()];
  }

  /** A session for this address came up. */
  connected(address: string): void {
    const e = this.entries.get(address);
    if (e) e.connectedAtMs = this.now();
  }

  /** The session for this address went down: schedule a redial (single owner). */
  lost(address: string): void {
    const e = this.entries.get(address);
    if (!e || this.stopped) return;
    if (e.connectedAtMs > 0 && this.now() - e.connectedAtMs >= this.opts.stableMs) e.attempts = 0;
    e.connectedAtMs = 0;
    this.schedule(address, e);
  }

  /** Delay before the next attempt after `attempts` failures. */
  delayFor(attempts: number): number {
    const raw = Math.min(this.opts.maxMs, this.opts.baseMs * 2 ** Math.min(attempts, 30));
    return Math.round(raw * (0.5 + this.random() / 2));
  }

  stop(): void {
    this.stopped = true;
    for (const e of this.entries.values()) if (e.timer) clearTimeout(e.timer);
    this.entries.clear();
  }

  private schedule(address: string, e: Entry): void {
    if (e.timer || e.dialing || this.stopped) return;
    const delay = this.delayFor(e.attempts);
    e.attempts++;
    e.timer = setTimeout(() => {
      e.timer = null;
      this.attempt(address);
    }, delay);
    e.timer.unref();
  }

  private attempt(address: string): void {
    const e = this.entries.get(address);
    if (!e || e.dialing || this.stopped) return;
    if (this.opts.isConnected(address)) return;
    e.dialing = true;
    this.opts.dial(address).then(
      () => {
        e.dialing = false;
      },
      () => {
        e.dialing = false;
        if (this.entries.get(address) === e) this.schedule(address, e);
      },
    );
  }
}
