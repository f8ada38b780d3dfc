import { pb } from '@tc/wire';
import { parseAddress } from './address.js';
import { normaliseIp } from './admission/index.js';
import { ipBanKey } from './peer-score/index.js';
import type { RegistryContext } from './registry-context.js';

/**
 * What an operator changes while the node runs (RPC `setban`, `addnode`): address bans and
 * persistent peers. Kept here so the registry's own ban list and reconnect queue are the only
 * state; an application keeps no copy of its own.
 */
export class OperatorControls {
  constructor(private readonly ctx: RegistryContext) {}

  /**
   * Bans an IP address: persisted like any ban, refused at admission from now on, and every
   * session (live or parked) from it is closed with Disconnect{BANNED}.
   */
  banAddress(ip: string, durationMs: number, reason: string): void {
    const address = normaliseIp(ip);
    this.ctx.banList.ban(ipBanKey(address), durationMs, reason);
    this.ctx.metrics?.bans.inc({ reason: 'manual' });
    this.ctx.log.warn({ ip: address, banMs: durationMs, reason }, 'address banned by the operator');
    const { manager } = this.ctx;
    const { table } = manager;
    for (const s of [...table.values(), ...table.parkedValues()]) {
      if (s.connection.remoteAddress === address)
        manager.endSession(s, 'banned', pb.DisconnectReason.DISCONNECT_REASON_BANNED);
    }
  }

  /** Lifts an IP ban; false when there was none. */
  unbanAddress(ip: string): boolean {
    const key = ipBanKey(normaliseIp(ip));
    const had = this.ctx.banList.isBanned(key);
    this.ctx.banList.unban(key);
    return had;
  }

  /**
   * Keeps `address` ("host:port") connected from now on, like a configured persistent peer:
   * dialled now, redialled with backoff whenever its session ends. Throws on a bad address.
   */
  addPersistentPeer(address: string): void {
    parseAddress(address);
    this.ctx.book.add(address);
    this.ctx.reconnect.add(address);
  }

  /** Stops redialling `address` (its live session, if any, stays); false if it was not persistent. */
  removePersistentPeer(address: string): boolean {
    const had = this.ctx.reconnect.has(address);
    this.ctx.reconnect.remove(address);
    return had;
  }

  persistentPeers(): string[] {
    return this.ctx.reconnect.addresses();
  }
}
