import { connect, createServer, type Server, type Socket } from 'node:net';
import {
  type Direction,
  type DirectionFaults,
  type DirectionSelector,
  directionsOf,
  seededRandom,
  validateFaults,
} from './link-faults.js';
import { Pipe, type PipeCounters } from './pipe.js';

export interface NetemProxyOptions {
  /** Where the proxy forwards to (the real node). */
  readonly target: { readonly host: string; readonly port: number };
  readonly listenHost?: string;
  /** 0 picks a free port. */
  readonly listenPort?: number;
  /** PRNG seed for jitter and byte flips, so a run can be replayed. */
  readonly seed?: number;
  /** Connections beyond this are refused. */
  readonly maxConnections?: number;
  readonly closeTimeoutMs?: number;
}

interface ProxiedConnection {
  readonly client: Socket;
  readonly upstream: Socket;
  readonly pipes: Record<Direction, Pipe>;
}

export interface NetemStats {
  readonly connections: number;
  readonly acceptedTotal: number;
  readonly bytes: Record<Direction, number>;
  readonly flippedBytes: number;
}

/**
 * A TCP proxy on 127.0.0.1 between two nodes, driven from tests. "forward" is client →
 * target, "backward" is target → client. Faults change live, for every open connection.
 *
 * - `setFaults` adds latency, jitter, a bandwidth limit or byte flips.
 * - `cut` stops a direction (or both): bytes wait and the sender is paused, as on a
 *   partitioned network where TCP keeps retrying; connections made during a cut are held
 *   too. `restore` lets everything through again. Nothing is silently dropped, so a
 *   healed link carries an intact stream unless an endpoint gave up on it meanwhile.
 * - `stall` freezes the connections open now without closing them; new ones flow.
 * - `resetConnections` destroys every proxied connection.
 */
export class NetemProxy {
  private readonly server: Server;
  private readonly connections = new Set<ProxiedConnection>();
  private readonly faults: Record<Direction, DirectionFaults> = { forward: {}, backward: {} };
  private readonly cutDirections = new Set<Direction>();
  private readonly counters: Record<Direction, PipeCounters> = {
    forward: { bytes: 0, flippedBytes: 0 },
    backward: { bytes: 0, flippedBytes: 0 },
  };
  private readonly random: () => number;
  private acceptedTotal = 0;
  private listeningPort = 0;

  constructor(private readonly options: NetemProxyOptions) {
    this.random = seededRandom(options.seed ?? 1);
    // Half-open sockets let a FIN wait behind delayed bytes instead of discarding them.
    this.server = createServer({ pauseOnConnect: true, allowHalfOpen: true }, (client) =>
      this.accept(client),
    );
    this.server.maxConnections = options.maxConnections ?? 1024;
  }

  async start(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.listenPort ?? 0, this.options.listenHost ?? '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address();
    this.listeningPort = typeof address === 'object' && address ? address.port : 0;
    return this.listeningPort;
  }

  get port(): number {
    return this.listeningPort;
  }

  setFaults(faults: DirectionFaults, direction: DirectionSelector = 'both'): void {
    const valid = validateFaults(faults);
    for (const d of directionsOf(direction)) this.faults[d] = valid;
  }

  clearFaults(): void {
    this.faults.forward = {};
    this.faults.backward = {};
  }

  cut(direction: DirectionSelector = 'both'): void {
    for (const d of directionsOf(direction)) {
      this.cutDirections.add(d);
      for (const c of this.connections) c.pipes[d].hold();
    }
  }

  restore(direction: DirectionSelector = 'both'): void {
    for (const d of directionsOf(direction)) {
      this.cutDirections.delete(d);
      for (const c of this.connections) c.pipes[d].release();
    }
  }

  /** Freezes every connection open now, both ways, without closing it. */
  stall(): () => void {
    const frozen = [...this.connections];
    for (const c of frozen) for (const pipe of Object.values(c.pipes)) pipe.hold();
    return () => {
      for (const c of frozen) {
        for (const d of ['forward', 'backward'] as const)
          if (!this.cutDirections.has(d)) c.pipes[d].release();
      }
    };
  }

  resetConnections(): void {
    for (const c of [...this.connections]) this.drop(c);
  }

  stats(): NetemStats {
    return {
      connections: this.connections.size,
      acceptedTotal: this.acceptedTotal,
      bytes: { forward: this.counters.forward.bytes, backward: this.counters.backward.bytes },
      flippedBytes: this.counters.forward.flippedBytes + this.counters.backward.flippedBytes,
    };
  }

  /** Stops listening and destroys every connection; bounded by closeTimeoutMs. */
  async stop(): Promise<void> {
    this.resetConnections();
    const timeoutMs = this.options.closeTimeoutMs ?? 2000;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      timer.unref();
      this.server.close(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private accept(client: Socket): void {
    this.acceptedTotal++;
    const upstream = connect({
      host: this.options.target.host,
      port: this.options.target.port,
      allowHalfOpen: true,
    });
    for (const socket of [client, upstream]) socket.setNoDelay(true);
    const conn: ProxiedConnection = {
      client,
      upstream,
      pipes: {
        forward: new Pipe(client, upstream, () => this.faults.forward, this.random, this.counters.forward),
        backward: new Pipe(upstream, client, () => this.faults.backward, this.random, this.counters.backward),
      },
    };
    this.connections.add(conn);
    for (const d of this.cutDirections) conn.pipes[d].hold();
    const onGone = () => this.drop(conn);
    client.on('error', onGone).on('close', onGone);
    upstream.on('error', onGone).on('close', onGone);
    if (!this.cutDirections.has('forward')) client.resume();
  }

  private drop(conn: ProxiedConnection): void {
    if (!this.connections.delete(conn)) return;
    conn.pipes.forward.close();
    conn.pipes.backward.close();
    conn.client.destroy();
    conn.upstream.destroy();
  }
}
