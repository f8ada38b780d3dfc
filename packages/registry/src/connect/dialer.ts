import type { Socket } from 'node:net';
import type { AddressBook } from '../address-book.js';
import type { ConnectionAdmission } from '../admission/index.js';
import { normaliseIp } from '../admission/index.js';
import { DialError } from '../errors.js';
import type { RegistryMetrics } from '../metrics.js';
import { abortable, connectTcp, parseAddressOrThrow } from '../net-util.js';
import type { Session } from '../session.js';
import { waitForAttempt } from './attempt.js';
import type { ConnectionManager } from './connection-manager.js';
import { PendingDials } from './pending-dials.js';

export interface DialerEnv {
  readonly manager: ConnectionManager;
  readonly admission: ConnectionAdmission;
  readonly book: AddressBook;
  readonly metrics: RegistryMetrics | undefined;
  readonly dialTimeoutMs: number;
  readonly maxPendingDials: number;
  /** Longest wait for an inbound handshake from the address being dialled (limits.dedupHoldMs). */
  readonly dedupHoldMs: number;
  isStarted(): boolean;
  isSelf(address: string): boolean;
  /** The live session reached through `address`, if any. */
  sessionAt(address: string): Session | undefined;
}

/**
 * Admission and dialling: every inbound socket asks for a slot before its handshake, every
 * dial reserves an outbound slot before connecting. Dials to one address join the pending
 * one (bounded by maxPendingDials); the TCP connect is bounded by dialTimeoutMs.
 */
export class Dialer {
  private readonly inProgress: PendingDials<Session>;

  constructor(private readonly env: DialerEnv) {
    this.inProgress = new PendingDials(env.maxPendingDials, (address) => this.dialOnce(address));
  }

  /** Dials in progress. */
  get pending(): number {
    return this.inProgress.size;
  }

  isDialling(address: string): boolean {
    return this.inProgress.has(address);
  }

  /** Resolves with the live session to the peer at `address` (existing, new, or dedup winner). */
  async dial(address: string, signal?: AbortSignal): Promise<Session> {
    const { env } = this;
    if (!env.isStarted()) throw new DialError('REGISTRY_STOPPED', address, 'registry not started');
    parseAddressOrThrow(address);
    if (env.isSelf(address)) throw new DialError('DIAL_REFUSED', address, 'that address is us');
    const existing = env.sessionAt(address);
    if (existing) return existing;
    const { promise, joined } = this.inProgress.dial(address);
    if (joined) env.metrics?.dials.inc({ outcome: 'joined' });
    return abortable(promise, signal, () => {
      env.metrics?.dials.inc({ outcome: 'aborted' });
      return new DialError('DIAL_FAILED', address, 'aborted');
    });
  }

  /** An accepted inbound socket: admission first, then the handshake. */
  accept(socket: Socket): void {
    const { env } = this;
    socket.on('error', () => undefined);
    if (!env.isStarted()) {
      socket.destroy();
      return;
    }
    const slot = env.admission.tryAcceptInbound(normaliseIp(socket.remoteAddress ?? ''));
    if (!slot.ok) {
      env.metrics?.admissionRejections.inc({ direction: 'inbound', reason: slot.reason });
      env.metrics?.connectionEvents.inc({ direction: 'inbound', outcome: 'rejected' });
      socket.destroy();
      return;
    }
    env.manager.acceptInbound(socket);
  }

  private async dialOnce(address: string): Promise<Session> {
    const { env } = this;
    const { host, port } = parseAddressOrThrow(address);
    // The peer at this address is already connecting to us and we acknowledged its Hello:
    // it may report that connection any moment, so a dial of ours (which the rule would
    // prefer if our id is the lower) would make it close a connection it reported. Wait for
    // that handshake instead (bounded), and dial only if it produced no session.
    const inbound = env.manager.inboundHandshakeFrom(address);
    const waitStartedAt = inbound ? Date.now() : undefined;
    if (inbound) {
      await waitForAttempt(inbound, env.dedupHoldMs);
      const live = env.sessionAt(address);
      if (live) {
        env.metrics?.dials.inc({ outcome: 'joined' });
        return live;
      }
      if (!env.isStarted()) throw new DialError('REGISTRY_STOPPED', address, 'registry stopping');
    }
    const ip = normaliseIp(host);
    const slot = env.admission.tryReserveOutbound(ip);
    if (!slot.ok) {
      env.metrics?.admissionRejections.inc({ direction: 'outbound', reason: slot.reason });
      env.metrics?.dials.inc({ outcome: 'rejected' });
      throw new DialError('DIAL_REFUSED', address, slot.reason);
    }
    const attempt = env.manager.beginDial(address, ip, waitStartedAt); // one dedupHoldMs in all
    env.metrics?.pendingDials.inc();
    try {
      const socket = await connectTcp(host, port, env.dialTimeoutMs, address);
      if (attempt.done || !env.isStarted()) {
        socket.destroy();
        throw new DialError('REGISTRY_STOPPED', address, 'registry stopping');
      }
      const session = await env.manager.attach(attempt, socket);
      env.metrics?.dials.inc({ outcome: 'ok' });
      return session;
    } catch (error) {
      if (!attempt.conn) env.manager.abandonDial(attempt, error as Error);
      const code = error instanceof DialError ? error.code : 'DIAL_FAILED';
      env.metrics?.dials.inc({
        outcome: code === 'DIAL_TIMEOUT' ? 'timeout' : code === 'DIAL_REFUSED' ? 'refused' : 'error',
      });
      if (!env.isSelf(address)) env.book.markFailure(address);
      throw error;
    } finally {
      env.metrics?.pendingDials.dec();
    }
  }
}
