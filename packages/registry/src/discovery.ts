import type { AddressBook } from './address-book.js';
import type { Logger } from './logger.js';
import { MAX_SHARED_PEERS } from './peer-exchange.js';

export interface DiscoveryEnv {
  /** Period of rounds while at the outbound target (0: no timer, rounds only through `tick`). */
  readonly intervalMs: number;
  /** Least time between the end of one round and the start of the next, whatever asks. */
  readonly minIntervalMs: number;
  /** First redial delay of an address whose session ended; doubles per short session. */
  readonly redialBaseMs: number;
  readonly redialMaxMs: number;
  readonly outboundTarget: number;
  readonly addressBook: AddressBook;
  readonly logger: Logger;
  /** Node ids of connected peers. */
  connectedPeers(): string[];
  outboundCount(): number;
  /** Whether an address should not be dialled now (connected, dialling, ourselves, banned). */
  skip(address: string, nodeId: string | undefined): boolean;
  /** Asks one peer for addresses: [address, nodeId hex or undefined, lastSeenMs]. */
  requestPeers(peerId: string): Promise<Array<[string, string | undefined, number]>>;
  dial(address: string): Promise<unknown>;
  random?: () => number;
  now?: () => number;
}

/** Peers asked per round. */
const ASK_PER_ROUND = 2;
/** Jitter of every delay: ±25 %, so that restarted nodes do not ask in step. */
const JITTER = 0.25;
/** Sessions shorter than this count as a failed visit for the redial backoff. */
const SHORT_SESSION_MS = 30_000;

interface RedialEntry {
  notBeforeMs: number;
  shortSessions: number;
  connectedAtMs: number;
}

/**
 * Keeps the node at its outbound target on a clock, never on session events (a peer that
 * connects and leaves 4×/s once set off 52 rounds in 230 ms). Rounds run at `intervalMs`, or
 * at `minIntervalMs` while below the target, each jittered, one at a time, and at least
 * `minIntervalMs` apart. A round asks a couple of connected peers for addresses (bounded
 * answers into the bounded address book) and dials the best candidates that are not in their
 * redial backoff: an address whose session ended waits `redialBaseMs` · 2^(short sessions).
 */
export class Discovery {
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<void> | undefined;
  private lastRoundEndMs = Number.NEGATIVE_INFINITY;
  private readonly redial = new Map<string, RedialEntry>();
  private readonly random: () => number;
  private readonly now: () => number;
  rounds = 0;

  constructor(private readonly env: DiscoveryEnv) {
    this.random = env.random ?? Math.random;
    this.now = env.now ?? Date.now;
  }

  start(): void {
    if (this.timer || this.env.intervalMs <= 0) return;
    this.schedule(this.jitter(Math.min(this.env.minIntervalMs, 1_000)));
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * One round now, unless one ran less than `minIntervalMs` ago (then nothing happens); while
   * one runs, its promise (rounds never overlap).
   */
  tick(): Promise<void> {
    if (this.current) return this.current;
    if (this.now() - this.lastRoundEndMs < this.env.minIntervalMs) return Promise.resolve();
    this.current = this.round().finally(() => {
      this.lastRoundEndMs = this.now();
      this.current = undefined;
    });
    return this.current;
  }

  /** A session to `address` came up (outbound or dialable inbound). */
  connected(address: string): void {
    const e = this.redial.get(address);
    if (e) e.connectedAtMs = this.now();
  }

  /** A session to `address` ended: the address waits a backoff before discovery dials it again. */
  ended(address: string): void {
    const now = this.now();
    const e = this.redial.get(address) ?? { notBeforeMs: 0, shortSessions: 0, connectedAtMs: 0 };
    const stable = e.connectedAtMs > 0 && now - e.connectedAtMs >= SHORT_SESSION_MS;
    e.shortSessions = stable ? 0 : Math.min(e.shortSessions + 1, 30);
    e.connectedAtMs = 0;
    const delay = Math.min(this.env.redialMaxMs, this.env.redialBaseMs * 2 ** e.shortSessions);
    e.notBeforeMs = now + this.jitter(delay);
    this.redial.delete(address);
    if (this.redial.size >= this.env.addressBook.maxEntries) {
      const oldest = this.redial.keys().next();
      if (!oldest.done) this.redial.delete(oldest.value);
    }
    this.redial.set(address, e);
  }

  /** Whether discovery would wait before dialling `address` (its redial backoff). */
  backingOff(address: string): boolean {
    return (this.redial.get(address)?.notBeforeMs ?? 0) > this.now();
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.tick().finally(() => {
        if (this.timer || this.env.intervalMs <= 0) return;
        const below = this.env.outboundCount() < this.env.outboundTarget;
        this.schedule(this.jitter(below ? this.env.minIntervalMs : this.env.intervalMs));
      });
    }, delayMs);
    this.timer.unref();
  }

  private jitter(ms: number): number {
    return Math.max(0, Math.round(ms * (1 - JITTER + 2 * JITTER * this.random())));
  }

  private async round(): Promise<void> {
    const { env } = this;
    this.rounds++;
    const missing = env.outboundTarget - env.outboundCount();
    if (missing <= 0) return;
    const peers = shuffle(env.connectedPeers()).slice(0, ASK_PER_ROUND);
    const answers = await Promise.allSettled(peers.map((p) => env.requestPeers(p)));
    for (const answer of answers) {
      if (answer.status !== 'fulfilled') continue;
      for (const [address, nodeId, lastSeenMs] of answer.value.slice(0, MAX_SHARED_PEERS)) {
        env.addressBook.add(address, { ...(nodeId ? { nodeId } : {}), lastSeenMs });
      }
    }
    const candidates = env.addressBook.candidates(
      missing,
      (r) => this.backingOff(r.address) || env.skip(r.address, r.nodeId),
    );
    await Promise.allSettled(
      candidates.map((r) =>
        env.dial(r.address).catch((error: Error) => {
          env.logger.debug({ address: r.address, err: error.message }, 'discovery dial failed');
          throw error;
        }),
      ),
    );
  }
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
