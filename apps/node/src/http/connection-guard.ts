import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface ConnectionGuardOptions {
  /** Connections at once, all clients together. */
  readonly maxConnections: number;
  /** Connections at once from one IP address. */
  readonly maxConnectionsPerIp: number;
  /** From accept (or the end of the previous response) to the end of the request headers. */
  readonly headersTimeoutMs: number;
  /** From accept (or the end of the previous response) to the end of the request body. */
  readonly requestTimeoutMs: number;
  /** A kept-alive connection with no request in progress is closed after this. */
  readonly keepAliveTimeoutMs: number;
  /**
   * Connections let in past `maxConnections` when every slot is being served, for `/health` and
   * `/metrics` only (`isReserved`), so a saturated RPC still answers its probes (default 4).
   */
  readonly reserve?: number;
  /** Counts why connections were cut (metrics). */
  readonly onCut?: (reason: CutReason) => void;
}

export type CutReason = 'headers_timeout' | 'request_timeout' | 'keep_alive' | 'evicted' | 'refused';

/** Where a connection is: receiving a request, having it served, or idle between requests. */
type Phase = 'headers' | 'body' | 'serving' | 'idle';

interface Tracked {
  readonly socket: Socket;
  readonly ip: string;
  /** Let in on the reserve: it may only ask for /health or /metrics. */
  readonly reserved: boolean;
  phase: Phase;
  /** When the current request started arriving (accept, or the end of the previous response). */
  sinceMs: number;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Keeps the node's HTTP server answering however many clients stall it. Node checks its own
 * header and request timeouts only every `connectionsCheckingInterval` (30 s), and
 * `server.maxConnections` refuses newcomers while 64 slow clients hold every slot; so this
 * guard enforces the documented deadlines with its own timer per connection, and at the
 * connection bound (all clients, or one IP) it makes room by cutting the connection that has
 * been *receiving* its request longest (a slowloris) or sits idle between requests, before it
 * refuses anyone. A connection whose request is being served is never cut for room, so honest
 * calls, `/health` and `/metrics` keep their slots: a client that sends a whole request at once
 * is in `headers` for microseconds.
 */
export class ConnectionGuard {
  private readonly bySocket = new Map<Socket, Tracked>();
  private readonly perIp = new Map<string, number>();

  constructor(private readonly o: ConnectionGuardOptions) {}

  get size(): number {
    return this.bySocket.size;
  }

  /** Wires the guard to `server` (before it listens). */
  attach(server: Server): void {
    server.on('connection', (socket: Socket) => this.accept(socket));
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.request(req, res));
  }

  /** Whether `req` came on a reserve connection (it may only ask for /health or /metrics). */
  isReserved(req: IncomingMessage): boolean {
    return this.bySocket.get(req.socket)?.reserved === true;
  }

  private reservedCount(): number {
    let n = 0;
    for (const t of this.bySocket.values()) if (t.reserved) n++;
    return n;
  }

  /** The request's body has been read: it is being served now (no receive deadline). */
  serving(req: IncomingMessage): void {
    const t = this.bySocket.get(req.socket);
    if (t && t.phase === 'body') this.enter(t, 'serving');
  }

  private accept(socket: Socket): void {
    const ip = socket.remoteAddress ?? '?';
    const full = this.bySocket.size >= this.o.maxConnections && !this.evict(() => true);
    const reserved = full && this.reservedCount() < (this.o.reserve ?? 4);
    const ipFull =
      !reserved && (this.perIp.get(ip) ?? 0) >= this.o.maxConnectionsPerIp && !this.evict((t) => t.ip === ip);
    if ((full && !reserved) || ipFull) {
      this.refuse(socket);
      return;
    }
    const t: Tracked = {
      socket,
      ip,
      reserved,
      phase: 'headers',
      sinceMs: performance.now(),
      timer: undefined,
    };
    this.bySocket.set(socket, t);
    this.perIp.set(ip, (this.perIp.get(ip) ?? 0) + 1);
    this.arm(t);
    socket.once('close', () => this.forget(t));
  }

  private request(req: IncomingMessage, res: ServerResponse): void {
    const t = this.bySocket.get(req.socket);
    if (!t) return;
    this.enter(t, 'body');
    res.once('finish', () => {
      if (this.bySocket.get(req.socket) !== t) return;
      t.sinceMs = performance.now();
      this.enter(t, 'idle');
    });
  }

  private enter(t: Tracked, phase: Phase): void {
    t.phase = phase;
    this.arm(t);
  }

  /** One deadline per connection, for the phase it is in (none while it is served). */
  private arm(t: Tracked): void {
    if (t.timer) clearTimeout(t.timer);
    t.timer = undefined;
    const elapsed = performance.now() - t.sinceMs;
    const [limit, reason] =
      t.phase === 'headers'
        ? [this.o.headersTimeoutMs, 'headers_timeout' as const]
        : t.phase === 'body'
          ? [this.o.requestTimeoutMs, 'request_timeout' as const]
          : t.phase === 'idle'
            ? [this.o.keepAliveTimeoutMs, 'keep_alive' as const]
            : [undefined, undefined];
    if (limit === undefined || reason === undefined) return;
    t.timer = setTimeout(() => this.cut(t, reason), Math.max(0, limit - elapsed));
    t.timer.unref();
  }

  /**
   * Cuts, among those `match` picks, the connection receiving its request longest; failing
   * that the one idle longest (an honest keep-alive client loses only a reused socket).
   */
  private evict(match: (t: Tracked) => boolean): boolean {
    let receiving: Tracked | undefined;
    let idle: Tracked | undefined;
    for (const t of this.bySocket.values()) {
      if (t.phase === 'serving' || !match(t)) continue;
      if (t.phase === 'idle') {
        if (idle === undefined || t.sinceMs < idle.sinceMs) idle = t;
      } else if (receiving === undefined || t.sinceMs < receiving.sinceMs) receiving = t;
    }
    const victim = receiving ?? idle;
    if (victim === undefined) return false;
    this.cut(victim, 'evicted');
    return true;
  }

  private cut(t: Tracked, reason: CutReason): void {
    this.o.onCut?.(reason);
    this.forget(t);
    t.socket.destroy();
  }

  private refuse(socket: Socket): void {
    this.o.onCut?.('refused');
    socket.destroy();
  }

  private forget(t: Tracked): void {
    if (this.bySocket.get(t.socket) !== t) return;
    if (t.timer) clearTimeout(t.timer);
    this.bySocket.delete(t.socket);
    const n = (this.perIp.get(t.ip) ?? 1) - 1;
    if (n <= 0) this.perIp.delete(t.ip);
    else this.perIp.set(t.ip, n);
  }
}
