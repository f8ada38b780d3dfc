import { GcraLimiter } from '../rate-limiter/gcra.js';
import { parseIp } from './ip.js';

/**
 * Connection slots. Every inbound socket asks `tryAcceptInbound` before its handshake starts
 * (js-libp2p's `maxIncomingPendingConnections`, time-coin's "reserve before TLS"); every dial
 * asks `tryReserveOutbound` before connecting. A granted slot is `promote`d once the handshake
 * succeeds and `release`d exactly once when the socket closes, whatever happened.
 */

export interface AdmissionLimits {
  /** Inbound connections, pending handshakes included. */
  maxInbound: number;
  /** Outbound connections, dials in progress included. */
  maxOutbound: number;
  /** Connections to or from one IP address, both directions, pending included. */
  maxPerIp: number;
  /** New inbound connections per minute from one IPv4 /24 or IPv6 /64 (GCRA, burst = this). */
  inboundPer24PerMinute: number;
  /** Inbound connections still in their handshake. */
  maxPendingInbound: number;
}

export const DEFAULT_ADMISSION_LIMITS: AdmissionLimits = Object.freeze({
  maxInbound: 64,
  maxOutbound: 32,
  maxPerIp: 3,
  inboundPer24PerMinute: 20,
  maxPendingInbound: 16,
});

export type AdmissionDenial =
  | 'too-many-inbound'
  | 'too-many-outbound'
  | 'too-many-per-ip'
  | 'subnet-rate'
  | 'too-many-pending'
  | 'banned';

export type AdmissionResult = { ok: true } | { ok: false; reason: AdmissionDenial };

export interface AdmissionOptions {
  /** Called with the canonical address (see parseIp); true refuses the connection either way. */
  isBanned?: (ip: string) => boolean;
  /**
   * Loopback addresses (127.0.0.0/8, ::1) skip the per-IP and subnet limits (default false).
   * Tests that run many peers on 127.0.0.1 set this, or raise those limits.
   */
  exemptLoopback?: boolean;
  /** Addresses (e.g. operator-configured peers) that skip the per-IP and subnet limits. */
  isExempt?: (ip: string) => boolean;
  /** Most subnets whose connection rate is tracked (default 4096, least recently used dropped). */
  maxTrackedSubnets?: number;
  now?: () => number;
}

export interface AdmissionCounts {
  /** Established inbound connections. */
  inbound: number;
  /** Established outbound connections. */
  outbound: number;
  /** Inbound connections still in their handshake. */
  pendingInbound: number;
  /** Outbound dials/handshakes not yet established. */
  pendingOutbound: number;
}

export type Direction = 'inbound' | 'outbound';

/** Counter of a slot by direction and [pending, established]. */
const SLOT = {
  inbound: ['pendingInbound', 'inbound'],
  outbound: ['pendingOutbound', 'outbound'],
} as const;

const OK: AdmissionResult = Object.freeze({ ok: true });
const deny = (reason: AdmissionDenial): AdmissionResult => ({ ok: false, reason });

export class ConnectionAdmission {
  readonly limits: Readonly<AdmissionLimits>;
  private readonly opts: AdmissionOptions;
  private readonly subnetRate: GcraLimiter;
  private readonly perIp = new Map<string, number>();
  private readonly c: AdmissionCounts = { inbound: 0, outbound: 0, pendingInbound: 0, pendingOutbound: 0 };
  private unmatched = 0;

  constructor(limits: Partial<AdmissionLimits> = {}, opts: AdmissionOptions = {}) {
    const merged = { ...DEFAULT_ADMISSION_LIMITS };
    for (const [name, value] of Object.entries(limits) as Array<
      [keyof AdmissionLimits, number | undefined]
    >) {
      if (value === undefined) continue;
      if (!Number.isInteger(value) || value < 0) {
        throw new RangeError(`${name} must be an integer ≥ 0, got ${value}`);
      }
      merged[name] = value;
    }
    this.limits = Object.freeze(merged);
    this.opts = opts;
    const perMinute = Math.max(1, merged.inboundPer24PerMinute);
    this.subnetRate = new GcraLimiter(
      { ratePerSec: perMinute / 60, burst: perMinute },
      opts.now ?? Date.now,
      {
        maxKeys: opts.maxTrackedSubnets ?? 4096,
      },
    );
  }

  /**
   * Asks for a pending inbound slot for a socket from `ip`. Checks, in order: ban, subnet
   * connection rate (an attempt that passes it is counted even if a later check refuses it),
   * pending-handshake slots, inbound slots, per-IP. On `ok` the slot is held until `release`.
   */
  tryAcceptInbound(ip: string): AdmissionResult {
    const p = parseIp(ip);
    if (this.opts.isBanned?.(p.address)) return deny('banned');
    const exempt = this.isExempt(p.address, p.loopback);
    if (!exempt && (this.limits.inboundPer24PerMinute === 0 || !this.subnetRate.allow(p.subnet))) {
      return deny('subnet-rate');
    }
    if (this.c.pendingInbound >= this.limits.maxPendingInbound) return deny('too-many-pending');
    if (this.c.inbound + this.c.pendingInbound >= this.limits.maxInbound) return deny('too-many-inbound');
    if (!exempt && (this.perIp.get(p.address) ?? 0) >= this.limits.maxPerIp) return deny('too-many-per-ip');
    this.c.pendingInbound++;
    this.perIp.set(p.address, (this.perIp.get(p.address) ?? 0) + 1);
    return OK;
  }

  /** Asks for an outbound slot to dial `ip`. Checks ban, outbound slots, per-IP. */
  tryReserveOutbound(ip: string): AdmissionResult {
    const p = parseIp(ip);
    if (this.opts.isBanned?.(p.address)) return deny('banned');
    if (this.c.outbound + this.c.pendingOutbound >= this.limits.maxOutbound) return deny('too-many-outbound');
    if (!this.isExempt(p.address, p.loopback) && (this.perIp.get(p.address) ?? 0) >= this.limits.maxPerIp) {
      return deny('too-many-per-ip');
    }
    this.c.pendingOutbound++;
    this.perIp.set(p.address, (this.perIp.get(p.address) ?? 0) + 1);
    return OK;
  }

  /** The handshake succeeded: the pending slot becomes an established one. */
  promote(ip: string, direction: Direction): void {
    void ip;
    if (direction === 'inbound') {
      if (this.c.pendingInbound === 0) return void this.unmatched++;
      this.c.pendingInbound--;
      this.c.inbound++;
    } else {
      if (this.c.pendingOutbound === 0) return void this.unmatched++;
      this.c.pendingOutbound--;
      this.c.outbound++;
    }
  }

  /**
   * The connection closed. `established` says whether it was promoted. Call exactly once per
   * granted slot; a release with nothing to release is counted in `unmatchedCalls()` and
   * otherwise ignored, so counters never go negative.
   */
  release(ip: string, direction: Direction, established: boolean): void {
    const key = SLOT[direction][established ? 1 : 0];
    if (this.c[key] === 0) {
      this.unmatched++;
      return;
    }
    this.c[key]--;
    const address = parseIp(ip).address;
    const n = this.perIp.get(address) ?? 0;
    if (n <= 1) this.perIp.delete(address);
    else this.perIp.set(address, n - 1);
  }

  counts(): AdmissionCounts {
    return { ...this.c };
  }

  /** Slots held by one address (both directions, pending included). */
  connectionsFrom(ip: string): number {
    return this.perIp.get(parseIp(ip).address) ?? 0;
  }

  /** promote/release calls that had no matching slot (a caller bug; should stay 0). */
  unmatchedCalls(): number {
    return this.unmatched;
  }

  private isExempt(address: string, loopback: boolean): boolean {
    return (loopback && this.opts.exemptLoopback === true) || this.opts.isExempt?.(address) === true;
  }
}
