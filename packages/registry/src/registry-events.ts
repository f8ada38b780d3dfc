import type { InboundMessage } from './frame-router.js';
import type { PeerInfo } from './peer-info.js';
import type { ResponseBody } from './protocol.js';
import type { RegistryCore } from './registry-core.js';
import type { Session } from './session.js';

/** Events of the registry. */
export interface RegistryEvents {
  /** A peer's session became live (once per session, after dedup). */
  'peer:connect': [PeerInfo];
  /** A live session ended. `reason`: e.g. "duplicate", "too-slow", "ping-timeout", "socket-closed". */
  'peer:disconnect': [{ peerId: string; reason: string; info: PeerInfo }];
  /** A one-way message (gossip, tip announcement) that passed rate limiting. */
  message: [InboundMessage];
}

/** What the core needs from the PeerConnectionRegistry that owns it. */
export interface RegistryHost {
  emit<E extends keyof RegistryEvents>(event: E, ...args: RegistryEvents[E]): boolean;
  /** A getPeers request to `peerId` (through the public request path). */
  getPeers(peerId: string): Promise<ResponseBody<'getPeers'>>;
  /** The port we listen on (0 before start or with `listen: false`). */
  listenPort(): number;
}

export type RegistryState = 'new' | 'starting' | 'started' | 'stopping' | 'stopped';

/** A session became the live one for its peer (after dedup): start pinging, report it. */
export function sessionBecameLive(core: RegistryCore, session: Session): void {
  core.liveness.start(session);
  // No discovery round here: rounds run on their own clock, so churn cannot set off a storm.
  if (session.dialable) core.discovery?.connected(session.address);
  if (session.dialable) core.book.markSeen(session.address, session.peerId);
  if (core.reconnect.has(session.address)) core.reconnect.connected(session.address);
  core.log.debug({ peer: session.peerId.slice(0, 12), dir: session.direction }, 'peer connected');
  core.safeEmit('peer:connect', core.info(session));
}

/** A session ended: fail its requests; report it (and redial a persistent peer) if it was live. */
export function sessionEnded(core: RegistryCore, session: Session, reason: string, wasActive: boolean): void {
  core.liveness.stop(session);
  session.lifetime.abort();
  session.failAll(reason);
  if (!wasActive) return;
  if (!core.manager.table.get(session.peerId)) core.scores.forget(session.peerId);
  if (session.dialable) core.discovery?.ended(session.address);
  core.log.debug({ peer: session.peerId.slice(0, 12), reason }, 'peer disconnected');
  core.safeEmit('peer:disconnect', { peerId: session.peerId, reason, info: core.info(session) });
  if (
    core.state === 'started' &&
    core.reconnect.has(session.address) &&
    !core.manager.table.get(session.peerId)
  ) {
    core.reconnect.lost(session.address);
  }
}
