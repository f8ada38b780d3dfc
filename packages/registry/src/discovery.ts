import type { AddressBook } from './address-book.js';
import type { Logger } from './logger.js';
import { MAX_SHARED_PEERS } from './peer-exchange.js';

export interface DiscoveryEnv {
  readonly intervalMs: number;
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
}

/** Peers asked per round, and addresses accepted from one answer. */
const ASK_PER_ROUND = 2;

/**
 * Keeps the node at its outbound target: each round, while below it, asks a couple of
 * connected peers for addresses (bounded answers into the bounded address book) and dials
 * the best candidates. Timer unref'd; one round at a time.
 */
export class Discovery {
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<void> | undefined;

  constructor(private readonly env: DiscoveryEnv) {}

  start(): void {
    if (this.timer || this.env.intervalMs <= 0) return;
    this.timer = setInterval(() => void this.tick(), this.env.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One round now; while one runs, its promise (rounds never overlap). */
  tick(): Promise<void> {
    if (this.current) return this.current;
    this.current = this.round().finally(() => {
      this.current = undefined;
    });
    return this.current;
  }

  private async round(): Promise<void> {
    const { env } = this;
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
    const candidates = env.addressBook.candidates(missing, (r) => env.skip(r.address, r.nodeId));
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
