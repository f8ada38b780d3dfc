import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { RpcDispatcher } from '../rpc/dispatch.js';
import { errorObject, RPC_ERRORS } from '../rpc/errors.js';
import { ConnectionGuard } from './connection-guard.js';
import { type HealthProvider, healthReport } from './health.js';
import type { NodeMetrics } from './metrics.js';

export interface NodeHttpServerOptions {
  readonly host: string;
  /** 0 picks a free port (see `address()` after `listen()`). */
  readonly port: number;
  /** When set, POST / (RPC) and GET /metrics need `Authorization: Bearer <token>`. */
  readonly authToken?: string;
  /** Default 1 MiB. */
  readonly maxBodyBytes?: number;
  /** Default 64. */
  readonly maxConnections?: number;
  /** Connections from one IP address. Default 48. */
  readonly maxConnectionsPerIp?: number;
  /** Time to receive a whole request (headers and body). Default 30 000 ms. */
  readonly receiveTimeoutMs?: number;
  /** Time to receive the request headers. Default min(receiveTimeoutMs, 10 000 ms). */
  readonly headersTimeoutMs?: number;
  readonly dispatcher: RpcDispatcher;
  /** Serves GET /metrics when given. */
  readonly metricsRegistry?: Registry;
  readonly metrics?: NodeMetrics;
  /** Serves GET /health, /health/live and /health/ready when given. */
  readonly health?: HealthProvider;
  readonly logger?: Logger;
}

/** Keep-alive idle time before a connection between requests is closed. */
const KEEP_ALIVE_MS = 5_000;

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Compares a presented token with the configured one in constant time (hashes equalise lengths). */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  return timingSafeEqual(digest(presented), digest(expected));
}

function bearer(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? m[1] : undefined;
}

/** JSON.stringify that writes bigint as a decimal string (amounts from the chain are bigint). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
}

/**
 * One HTTP server for the node's local interfaces: JSON-RPC 2.0 on `POST /`, Prometheus
 * metrics on `GET /metrics`, health on `GET /health[/live|/ready]`. Bodies are size-limited,
 * connections are bounded, every request has a receive timeout, and `close()` drains in-flight
 * requests for a bounded time before cutting connections.
 */
export class NodeHttpServer {
  private readonly server: Server;
  private readonly maxBodyBytes: number;
  private readonly startedAtMs = Date.now();
  private active = 0;
  private stoppingFlag = false;
  private idleWaiters: (() => void)[] = [];
  private readonly guard: ConnectionGuard;

  constructor(private readonly options: NodeHttpServerOptions) {
    this.maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
    const receive = options.receiveTimeoutMs ?? 30_000;
    const headers = options.headersTimeoutMs ?? Math.min(receive, 10_000);
    const maxConnections = options.maxConnections ?? 64;
    this.guard = new ConnectionGuard({
      maxConnections,
      maxConnectionsPerIp: Math.min(maxConnections, options.maxConnectionsPerIp ?? 48),
      headersTimeoutMs: headers,
      requestTimeoutMs: receive,
      keepAliveTimeoutMs: KEEP_ALIVE_MS,
      onCut: (reason) => options.metrics?.observeHttpCut(reason),
    });
    // Node's own deadlines stay as a backstop, checked every second instead of every 30 s.
    this.server = createServer(
      { maxHeaderSize: 16 * 1024, connectionsCheckingInterval: 1_000 },
      (req, res) => {
        this.active++;
        res.on('close', () => {
          this.active--;
          if (this.active === 0) for (const w of this.idleWaiters.splice(0)) w();
        });
        this.route(req, res).catch((error: unknown) => {
          options.logger?.error({ err: error }, 'http handler failed');
          if (!res.headersSent)
            this.json(res, 500, 'other', { error: errorObject(RPC_ERRORS.INTERNAL_ERROR, 'internal error') });
          else res.destroy();
        });
      },
    );
    this.server.requestTimeout = receive;
    this.server.headersTimeout = headers;
    this.server.keepAliveTimeout = KEEP_ALIVE_MS;
    this.server.maxHeadersCount = 64;
    this.guard.attach(this.server);
    this.server.on('clientError', (_err, socket) => {
      // Refused: the connection goes, so a client that keeps sending keeps no slot.
      if (socket.writable)
        socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n', () => socket.destroy());
      else socket.destroy();
    });
  }

  /** True once close() began; the dispatcher answers -32004 from then on. */
  get stopping(): boolean {
    return this.stoppingFlag;
  }

  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      this.server.once('error', onError);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', onError);
        resolve(this.address());
      });
    });
  }

  address(): AddressInfo {
    const a = this.server.address();
    if (a === null || typeof a === 'string') throw new Error('server is not listening');
    return a;
  }

  /**
   * Stops accepting, lets in-flight requests finish for up to `timeoutMs`, then destroys the
   * remaining connections. Resolves true when everything finished in time.
   */
  async close(timeoutMs = 2000): Promise<boolean> {
    this.stoppingFlag = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      this.active === 0
        ? Promise.resolve(true)
        : new Promise<boolean>((r) => this.idleWaiters.push(() => r(true))),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(false), timeoutMs);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
    this.server.closeAllConnections();
    await closed;
    return drained;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    // A refused request's connection is not kept: the rest of its body is never read.
    res.once('finish', () => {
      if (res.statusCode >= 400) req.socket.destroySoon();
    });
    if (req.method !== 'POST') this.guard.serving(req);
    // A reserve connection (every slot busy serving calls) is for the probes alone.
    const probe = req.method === 'GET' && (path === '/metrics' || path?.startsWith('/health') === true);
    if (this.guard.isReserved(req) && !probe) {
      res.setHeader('Connection', 'close');
      return this.json(res, 503, 'other', { error: 'busy: every connection is serving a call; retry' });
    }
    if (path === '/' || path === '') {
      if (req.method !== 'POST') {
        res.setHeader('Allow', 'POST');
        return this.rpcError(res, 405, RPC_ERRORS.INVALID_REQUEST, 'JSON-RPC requires POST');
      }
      if (!this.authorized(req)) return this.rpcError(res, 401, RPC_ERRORS.UNAUTHORIZED, 'unauthorized');
      return this.rpc(req, res);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET');
      return this.json(res, 405, 'other', { error: 'method not allowed' });
    }
    if (path === '/metrics' && this.options.metricsRegistry) {
      if (!this.authorized(req)) return this.json(res, 401, 'metrics', { error: 'unauthorized' });
      const reg = this.options.metricsRegistry;
      const text = await reg.metrics();
      this.options.metrics?.observeHttp('metrics', 200);
      res.writeHead(200, { 'Content-Type': reg.contentType, 'Cache-Control': 'no-store' });
      res.end(text);
      return;
    }
    if ((path === '/health' || path === '/health/live' || path === '/health/ready') && this.options.health) {
      if (path === '/health/live') return this.json(res, 200, 'health', { live: true });
      const report = healthReport(await this.options.health.health(), this.stoppingFlag, this.startedAtMs);
      return this.json(
        res,
        report.ready ? 200 : 503,
        'health',
        path === '/health' ? report : { ready: report.ready },
      );
    }
    return this.json(res, 404, 'other', { error: 'not found' });
  }

  private authorized(req: IncomingMessage): boolean {
    const token = this.options.authToken;
    return token === undefined || tokenMatches(bearer(req), token);
  }

  private async rpc(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > this.maxBodyBytes) {
      return this.tooLarge(req, res, declared);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    await new Promise<void>((resolve) => {
      const onData = (chunk: Buffer) => {
        size += chunk.length;
        if (size > this.maxBodyBytes) {
          over = true;
          req.off('data', onData);
          req.pause();
          resolve();
          return;
        }
        chunks.push(chunk);
      };
      req.on('data', onData);
      req.once('end', () => resolve());
      req.once('error', () => resolve());
      req.once('close', () => resolve());
    });
    if (over) return this.tooLarge(req, res, size);
    if (req.destroyed && !req.complete) return;
    this.guard.serving(req);
    const response = await this.options.dispatcher.handleText(Buffer.concat(chunks, size).toString('utf8'));
    if (response === undefined) {
      this.options.metrics?.observeHttp('rpc', 204);
      res.writeHead(204);
      res.end();
      return;
    }
    let text: string;
    try {
      text = toJson(response);
    } catch (error) {
      this.options.logger?.error({ err: error }, 'rpc response not serialisable');
      text = toJson({
        jsonrpc: '2.0',
        id: null,
        error: errorObject(RPC_ERRORS.INTERNAL_ERROR, 'internal error'),
      });
    }
    this.options.metrics?.observeHttp('rpc', 200);
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  private tooLarge(req: IncomingMessage, res: ServerResponse, size: number): void {
    this.options.logger?.warn({ size, limit: this.maxBodyBytes }, 'rpc body too large');
    res.setHeader('Connection', 'close');
    this.rpcError(res, 413, RPC_ERRORS.BODY_TOO_LARGE, `request body exceeds ${this.maxBodyBytes} bytes`);
    // Do not read the rest; drop the connection once the answer is out.
    res.once('finish', () => req.socket.destroySoon());
  }

  private rpcError(res: ServerResponse, status: number, code: number, message: string): void {
    this.json(res, status, 'rpc', { jsonrpc: '2.0', id: null, error: errorObject(code, message) });
  }

  private json(res: ServerResponse, status: number, route: string, body: unknown): void {
    const text = toJson(body);
    this.options.metrics?.observeHttp(route, status);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }
}
