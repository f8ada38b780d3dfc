import {
  type KnownFrame,
  type OutgoingMessage,
  type tc,
  type U64Input,
  u64ToBigInt,
  type WireLimits,
} from '@tc/wire';
import type { Connection } from './connection.js';
import { PeerDisconnectedError, QueueFullError, RequestAbortedError } from './errors.js';
import type { RequestOutcome } from './request/call.js';
import { Outbound } from './request/outbound.js';

export type Direction = 'inbound' | 'outbound';

export interface PeerTip {
  readonly height: bigint;
  readonly hash: Uint8Array;
}

/** What the registry tells a session about the outcome of each of its requests. */
export interface SessionHooks {
  /** `charged`: a timeout while the peer had the request (not while it waited here). */
  requestDone(
    session: Session,
    kind: string,
    outcome: RequestOutcome,
    startMs: number,
    charged: boolean,
  ): void;
  /** A response that matches no pending request, or the wrong kind for it. */
  badResponse(session: Session, code: 'UNEXPECTED_RESPONSE' | 'INVALID_RESPONSE', detail: string): void;
}

export type { RequestOutcome };

export interface RequestOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Response kind expected for a unary request; undefined for streams. */
  expect?: string;
  /** For streams: each chunk. Returning normally keeps the stream open. */
  chunk?: (frame: KnownFrame) => void;
  /** Resolve with the response body only (unary requests). */
  bodyOnly?: boolean;
  /** Skip the in-flight window and the waiting queue (liveness pings, probes). */
  urgent?: boolean;
}

export interface SessionInit {
  readonly peerId: string;
  readonly generation: number;
  readonly direction: Direction;
  readonly address: string;
  readonly dialable: boolean;
  readonly hello: tc.v1.Hello;
  /** Dedup key: dialer node id ‖ dialer hello nonce (hex); the lowest key survives. */
  readonly dedupKey: string;
  readonly connection: Connection;
  readonly maxInflightOutbound: number;
  readonly maxQueuedRequests: number;
  readonly sendDrainTimeoutMs: number;
  readonly wireLimits: WireLimits;
  readonly hooks: SessionHooks;
  /** When its connection first waited for our own dials (a held ack), if it did. */
  readonly waitStartedAt?: number | undefined;
}

/**
 * One authenticated connection to one peer, identified by node id and a generation number
 * that is unique per registry. Owns the pending-request map of that connection: a response
 * settles only the request with its id, and a timeout or abort cancels only that request.
 */
export class Session {
  readonly peerId: string;
  readonly generation: number;
  readonly direction: Direction;
  readonly address: string;
  readonly dialable: boolean;
  readonly hello: tc.v1.Hello;
  readonly dedupKey: string;
  readonly connection: Connection;
  readonly outbound: Outbound;
  state: 'parked' | 'active' | 'closed' = 'parked';
  connectedAtMs = 0;
  rttMs: number | undefined;
  inboundInflight = 0;
  tip: PeerTip;
  /** When this session's connection first waited for our own dials (a held ack), if it did. */
  readonly waitStartedAt: number | undefined;
  /** Aborted when the session ends (handler contexts use it). */
  readonly lifetime = new AbortController();
  private readonly init: SessionInit;

  constructor(init: SessionInit) {
    this.init = init;
    this.peerId = init.peerId;
    this.generation = init.generation;
    this.direction = init.direction;
    this.address = init.address;
    this.dialable = init.dialable;
    this.hello = init.hello;
    this.dedupKey = init.dedupKey;
    this.connection = init.connection;
    this.waitStartedAt = init.waitStartedAt;
    this.outbound = new Outbound({
      peerId: init.peerId,
      maxInflight: init.maxInflightOutbound,
      maxQueued: init.maxQueuedRequests,
      wireLimits: init.wireLimits,
      isOpen: () => this.open,
      badResponse: (code, detail) => init.hooks.badResponse(this, code, detail),
      tipAnswered: (body) => this.updateTip(body),
      tryWrite: (frame) => this.connection.tryWrite(frame),
      write: (frame, signal) => this.write(frame, signal),
      done: (kind, outcome, startMs, charged) =>
        init.hooks.requestDone(this, kind, outcome, startMs, charged),
    });
    this.tip = { height: u64ToBigInt(init.hello.tipHeight), hash: init.hello.tipHash };
  }

  get open(): boolean {
    return this.state !== 'closed' && this.connection.writable;
  }

  /** Records an RTT sample in the moving average (EWMA, α = 0.2). */
  sampleRtt(ms: number): void {
    this.rttMs = this.rttMs === undefined ? ms : this.rttMs * 0.8 + ms * 0.2;
  }

  /**
   * Queues an encoded frame, waiting up to `sendDrainTimeoutMs` for room when the write
   * queue is over its bound. Rejects QueueFullError if it never drains (the connection's
   * stall timer then disconnects the peer as too slow).
   */
  async write(frame: Uint8Array, signal?: AbortSignal): Promise<void> {
    if (!this.open) throw new PeerDisconnectedError(this.peerId, 'closed');
    if (this.connection.tryWrite(frame)) return;
    const ok = await this.connection.waitForRoom(frame.length, this.init.sendDrainTimeoutMs);
    if (signal?.aborted) throw new RequestAbortedError(this.peerId, signal.reason);
    // Not drained in time (the stall timer may have closed the session for it already).
    if (!ok) throw new QueueFullError(this.peerId, 'write-queue');
    if (!this.open) throw new PeerDisconnectedError(this.peerId, 'closed');
    if (!this.connection.tryWrite(frame)) throw new QueueFullError(this.peerId, 'write-queue');
  }

  /**
   * Encodes and sends one request, or queues it for an in-flight slot (see Outbound); resolves
   * with the response matched by request id (the whole frame, or only its body with
   * `bodyOnly`). Rejects with a typed error.
   */
  request(msg: OutgoingMessage, opts: RequestOptions): Promise<unknown> {
    if (opts.signal?.aborted) return Promise.reject(new RequestAbortedError(this.peerId, opts.signal.reason));
    if (!this.open) return Promise.reject(new PeerDisconnectedError(this.peerId, 'closed'));
    return this.outbound.send(msg, opts);
  }

  /** Tips only move forward (a stale announcement never overwrites a newer one). */
  updateTip(tip: { height: U64Input; hash: Uint8Array }): void {
    const height = u64ToBigInt(tip.height);
    if (height >= this.tip.height) this.tip = { height, hash: tip.hash };
  }

  /** Routes a response-kind frame to its pending request (Outbound owns the pending map). */
  onResponse(frame: KnownFrame): void {
    this.outbound.onResponse(frame);
  }

  /** Whether a response frame may be taken in, judged from its header (see Outbound). */
  acceptsResponse(id: number, kind: string): boolean {
    return this.outbound.acceptsResponse(id, kind);
  }

  /** Our requests to the peer in flight. */
  get requestsInFlight(): number {
    return this.outbound.inFlight;
  }

  /** Rejects every pending request of this session at once. */
  failAll(reason: string): void {
    this.outbound.failAll(reason);
  }
}
