import { createServer, type Server } from 'node:net';
import { seededRandom } from '@tc/netem';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A free TCP port on 127.0.0.1 (closed again before it is returned). */
/** Ports handed out by this process (never handed out twice). */
const handedOut = new Set<number>();

/**
 * A free TCP port on 127.0.0.1 below the kernel's ephemeral range (32768–60999 here): a port
 * from that range, freed again before a node binds it, can be taken meanwhile by any outbound
 * connection on the machine (another test's RPC client, say) and the node then fails with
 * EADDRINUSE. Random in 20000–32767, checked by binding it; bind(0) as a last resort.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 64; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_768);
    if (handedOut.has(port)) continue;
    if (await canBind(port)) {
      handedOut.add(port);
      return port;
    }
  }
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolvePort(a.port) : reject(new Error('no port'))));
    });
  });
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolveBind) => {
    const s = createServer();
    s.once('error', () => resolveBind(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolveBind(true)));
  });
}

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
