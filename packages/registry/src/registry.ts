import { createServer, type Server } from 'node:net';
import { encodeFrame, type KindBodies, type OutgoingMessage, pb, type u64 } from '@tc/wire';
import type { PeerRecord } from './address-book.js';
import type { ConnectionManager } from './connect/connection-manager.js';
import type { NodeIdentity } from './identity.js';
import type { EventLoopLagMonitor } from './lag-monitor.js';
import type { RegistryMetrics } from './metrics.js';
import { OperatorControls } from './operator-controls.js';
import type { RegistryOptions } from './options.js';
import type { PeerInfo } from './peer-info.js';
import {
  type BanRecord,
  type ErrorActionTable,
  nodeBanKey,
  type PenaltyDecision,
} from './peer-score/index.js';
import type { RequestKind } from './protocol.js';
import { RegistryContext } from './registry-context.js';
import type { RegistryEvents } from './registry-events.js';
import { RequestApi } from './request/request-api.js';
import type { RequestHandler } from './response/dispatcher.js';
import type { Session } from './session.js';

export type { RegistryEvents } from './registry-events.js';

/**
 * The PeerConnectionRegistry: the only owner of peer connections and the only writer to
 * sockets. Everything else talks to peers through `send`, `request`, `stream`, `broadcast`,
 * `query` and `handle`. See README.md for the handshake, the dedup rule and the error table.
 * The components and their wiring live in RegistryContext (registry-context.ts).
 */
export class PeerConnectionRegistry extends RequestApi<RegistryEvents> {
  readonly identity: NodeIdentity;
  readonly nodeId: string;
  readonly errorActions: ErrorActionTable;
  readonly metrics: RegistryMetrics | undefined;
  private readonly ctx: RegistryContext;
  protected readonly manager: ConnectionManager;
  private readonly operator: OperatorControls;
  private readonly userHandled = new Set<RequestKind>();
  private server: Server | undefined;
  private listenPort = 0;
  private listenHost = '';

  constructor(private readonly options: RegistryOptions) {
    super();
    this.ctx = new RegistryContext(options, {
      emit: (event, ...args) => (this.emit as (e: string, ...a: unknown[]) => boolean)(event, ...args),
      listenPort: () => this.listenPort,
      getPeers: (peerId) => this.request(peerId, { kind: 'getPeers', body: { max: 32 } }),
    });
    this.identity = options.identity;
    this.nodeId = this.ctx.nodeId;
    this.errorActions = this.ctx.errorActions;
    this.metrics = this.ctx.metrics;
    this.manager = this.ctx.manager;
    this.operator = new OperatorControls(this.ctx);
  }

  // ------------------------------------------------------------------ lifecycle

  /** Loads persisted bans and addresses, listens (unless `listen: false`), dials persistent peers. */
  private listenerClosed: Promise<void> | undefined;

  async start(): Promise<void> {
    if (this.ctx.state !== 'new') throw new Error(`registry cannot start from state ${this.ctx.state}`);
    this.ctx.state = 'starting';
    await this.ctx.banList.load().catch((e) => this.ctx.log.warn({ err: String(e) }, 'loading bans failed'));
    await this.ctx.book
      .load()
      .catch((e) => this.ctx.log.warn({ err: String(e) }, 'loading addresses failed'));
    if (this.options.listen !== false) {
      const host = this.options.listen?.host ?? '0.0.0.0';
      const server = createServer((socket) => this.ctx.dialer.accept(socket));
      this.server = server;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.options.listen ? (this.options.listen.port ?? 0) : 0, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      server.on('error', (e) => this.ctx.log.error({ err: e.message }, 'server error'));
      const address = server.address();
      if (address && typeof address === 'object') {
        this.listenPort = address.port;
        this.listenHost = address.address;
      }
    }
    this.ctx.lag.start();
    this.ctx.recorder?.start(() => this.manager.table.values());
    this.metrics?.bindSources({
      peerScores: () => [...this.manager.table.values()].map((s) => this.ctx.scores.score(s.peerId)),
      banListEntries: () => this.ctx.banList.size(),
      eventLoopLagMs: () => this.ctx.lag.lagSince(this.ctx.lag.now() - 10_000),
    });
    this.ctx.state = 'started';
    for (const address of this.options.persistentPeers ?? []) {
      this.ctx.book.add(address);
      this.ctx.reconnect.add(address);
    }
    this.ctx.discovery?.start();
  }

  /**
   * The registry's event-loop lag monitor (running while the registry is started), read-only,
   * so other timeouts on this loop (e.g. sync stalls) are excused by the same measure.
   */
  get lag(): Pick<EventLoopLagMonitor, 'now' | 'lagSince' | 'isLagging' | 'excusesTimeout'> {
    return this.ctx.lag;
  }

  /**
   * Stops accepting inbound connections at once; live sessions and outbound dials go on.
   * The first step of a graceful shutdown (`stop()` does it too). Idempotent.
   */
  stopListening(): void {
    if (!this.server || this.listenerClosed) return;
    // close() stops accepting now; its callback waits for accepted sockets, which stop() awaits.
    this.listenerClosed = new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  /**
   * Sends Disconnect{SHUTDOWN} to every peer, stops accepting and dialling, and resolves
   * once every socket is closed (each close bounded by closeTimeoutMs). Clears every timer.
   */
  async stop(): Promise<void> {
    if (this.ctx.state === 'stopped' || this.ctx.state === 'stopping') return;
    this.ctx.state = 'stopping';
    this.ctx.discovery?.stop();
    this.ctx.reconnect.stop();
    this.stopListening();
    const serverClosed = this.listenerClosed ?? Promise.resolve();
    const sessions = [...this.manager.table.values(), ...this.manager.table.parkedValues()];
    const closing = this.manager
      .openConnections()
      .map(
        (conn) =>
          new Promise<void>((resolve) =>
            conn.closed ? resolve() : conn.socket.once('close', () => resolve()),
          ),
      );
    this.manager.abortAttempts();
    for (const s of sessions)
      this.manager.endSession(s, 'shutdown', pb.DisconnectReason.DISCONNECT_REASON_SHUTDOWN);
    await Promise.all(closing);
    await serverClosed;
    this.ctx.lag.stop();
    this.ctx.recorder?.stop();
    this.metrics?.bindSources({});
    this.ctx.state = 'stopped';
  }

  /** The address we listen on, once started (port 0 resolved). */
  address(): { host: string; port: number } | undefined {
    return this.server ? { host: this.listenHost, port: this.listenPort } : undefined;
  }

  // ------------------------------------------------------------------ connections

  /**
   * Connects to `address` ("host:port") and resolves with the peer's info once a session to
   * it is live (possibly a session that already existed or won the dedup). Dials to the same
   * address join; the TCP connect is bounded by dialTimeoutMs, the handshake by its deadline.
   */
  dial(address: string, opts: { signal?: AbortSignal } = {}): Promise<PeerInfo> {
    return this.ctx.dial(address, opts.signal);
  }

  /** Closes the session with `peerId` (Disconnect{REQUESTED}). Returns false if not connected. */
  disconnect(peerId: string, reason = 'requested'): boolean {
    const s = this.manager.table.get(peerId);
    if (!s) return false;
    this.manager.endSession(s, reason, pb.DisconnectReason.DISCONNECT_REASON_REQUESTED);
    return true;
  }

  // ------------------------------------------------------------------ peers, bans, errors

  /** Per-peer info of every live session. */
  peers(): PeerInfo[] {
    return [...this.manager.table.values()].map((s) => this.info(s));
  }

  peer(peerId: string): PeerInfo | undefined {
    const s = this.manager.table.get(peerId);
    return s ? this.info(s) : undefined;
  }

  protected info(s: Session): PeerInfo {
    return this.ctx.info(s);
  }

  /**
   * Reports an error caused by a peer (e.g. INVALID_BLOCK from consensus). The one path from
   * an error to a peer action: ErrorActionTable → score → disconnect or ban.
   */
  reportPeer(peerId: string, code: string, detail = ''): PenaltyDecision {
    const s = this.manager.table.get(peerId);
    return this.ctx.policy.penalize({ peerId, ip: s?.connection.remoteAddress ?? '' }, code, detail);
  }

  /** Bans a node id for `durationMs` and closes its session. */
  ban(peerId: string, durationMs: number, reason: string): void {
    this.ctx.policy.ban(peerId, durationMs, reason);
  }

  unban(key: string): void {
    this.ctx.banList.unban(key.includes(':') ? key : nodeBanKey(key));
  }

  /** Bans an IP address while running (persisted) and closes every session from it. */
  banAddress(ip: string, durationMs: number, reason: string): void {
    this.operator.banAddress(ip, durationMs, reason);
  }

  /** Lifts an IP ban; false when there was none. */
  unbanAddress(ip: string): boolean {
    return this.operator.unbanAddress(ip);
  }

  /** Keeps "host:port" connected from now on (dials now, redials on loss), like `persistentPeers`. */
  addPersistentPeer(address: string): void {
    this.operator.addPersistentPeer(address);
  }

  /** Stops redialling a persistent peer (its session stays); false if it was not one. */
  removePersistentPeer(address: string): boolean {
    return this.operator.removePersistentPeer(address);
  }

  /** The addresses kept connected: configured `persistentPeers` and those added since. */
  persistentPeers(): string[] {
    return this.operator.persistentPeers();
  }

  /** Bans in force ('node:<hex>' and 'ip:<addr>' keys). */
  bans(): BanRecord[] {
    return this.ctx.banList.list();
  }

  /** The peer's current (decayed) score. */
  score(peerId: string): number {
    return this.ctx.scores.score(peerId);
  }

  /** Known addresses (the bounded address book). */
  addresses(): PeerRecord[] {
    return this.ctx.book.list();
  }

  addAddress(address: string, nodeId?: string): boolean {
    return this.ctx.book.add(address, nodeId ? { nodeId } : {});
  }

  /** Runs one discovery round now (normally on a timer). */
  discover(): Promise<void> {
    return this.ctx.discovery?.tick() ?? Promise.resolve();
  }

  /**
   * Registers the handler of a request kind; its return value is the response and a thrown
   * HandlerError becomes an ErrorReply. One handler per kind (ping/getPeers/getChainTip
   * have defaults that a first `handle` replaces).
   */
  handle<K extends RequestKind>(kind: K, handler: RequestHandler<K>): void {
    if (this.userHandled.has(kind)) throw new Error(`a handler for ${kind} is already registered`);
    this.userHandled.add(kind);
    this.ctx.dispatcher.handle(kind, handler, true);
  }

  /** Addresses we share in answer to getPeers (built-in handler). */
  sharedPeers(max: number, except: string): KindBodies['peers']['peers'] {
    return this.ctx.sharedPeers(max, except);
  }

  /** Our chain tip as sent in Hello and getChainTip answers. */
  localTip(): { height: ReturnType<typeof u64>; hash: Uint8Array } {
    return this.ctx.localTip();
  }

  // ------------------------------------------------------------------ internals for the API

  protected session(peerId: string): Session | undefined {
    const s = this.manager.table.get(peerId);
    return s?.open ? s : undefined;
  }

  protected liveSessions(): Session[] {
    return [...this.manager.table.values()].filter((s) => s.open);
  }

  protected get streamBufferChunks(): number {
    return this.ctx.options.limits.streamBufferChunks;
  }

  protected countMessage(direction: 'in' | 'out', kind: string, n = 1): void {
    this.ctx.countMessage(direction, kind, n);
  }

  protected encode(msg: OutgoingMessage): Uint8Array {
    return encodeFrame(msg, this.ctx.options.wireLimits);
  }

  protected get requestTimeoutMs(): number {
    return this.ctx.options.limits.requestTimeoutMs;
  }
}
