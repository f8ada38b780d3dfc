import { createServer, type Server } from 'node:net';
import { seededRandom } from '@tc/netem';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A free port below the ephemeral range (see @tc/node's `freePort`). */
export { freePort } from '@tc/node';

/**
 * A listener on 127.0.0.1:`port` that closes every connection at once and counts them. Nodes
 * listen on other loopback addresses; what they advertise to each other (127.0.0.1 and their
 * listen port) lands here, so discovery can never reach a node around its proxies.
 */
export class Decoy {
  hits = 0;
  private readonly server: Server;
  constructor(readonly port: number) {
    this.server = createServer((s) => {
      this.hits++;
      s.destroy();
    });
  }
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, '127.0.0.1', () => resolve());
    });
  }
  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
    });
  }
}

/** The harness's seeded PRNG (netem's), with the helpers the schedule needs. */
export class Rng {
  private readonly next: () => number;
  constructor(readonly seed: number) {
    this.next = seededRandom(seed);
  }
  float(): number {
    return this.next();
  }
  between(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
  int(n: number): number {
    return Math.min(n - 1, Math.floor(this.next() * n));
  }
  pick<T>(xs: readonly T[]): T {
    const x = xs[this.int(xs.length)];
    if (x === undefined) throw new Error('pick from an empty list');
    return x;
  }
  shuffle<T>(xs: readonly T[]): T[] {
    const out = [...xs];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
  }
}

/** Runs `fn` over `items` with at most `limit` at once. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (x: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export const fmtS = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
