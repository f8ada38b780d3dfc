import type { InboundMessage } from './frame-router.js';
import type { PeerInfo } from './peer-info.js';
import type { ResponseBody } from './protocol.js';
import type { RegistryContext } from './registry-context.js';
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

/** What the registry context needs from the PeerConnectionRegistry that owns it. */
export interface RegistryHost {
  emit<E extends keyof RegistryEvents>(event: E, ...args: RegistryEvents[E]): boolean;
  /** A getPeers request to `peerId` (through the public request path). */
  getPeers(peerId: string): Promise<ResponseBody<'getPeers'>>;
  /** The port we listen on (0 before start or with `listen: false`). */
  listenPort(): number;
}

export type RegistryState = 'new' | 'starting' | 'started' | 'stopping' | 'stopped';

/** A session became the live one for its peer (after dedup): start pinging, report it. */
export function sessionBecameLive(ctx: RegistryContext, session: Session): void {
  ctx.liveness.start(session);
  // No discovery round here: rounds run on their own clock, so churn cannot set off a storm.
  if (session.dialable) ctx.discovery?.connected(session.address);
  if (session.dialable) ctx.book.markSeen(session.address, session.peerId);
  if (ctx.reconnect.has(session.address)) ctx.reconnect.connected(session.address);
  ctx.log.debug({ peer: session.peerId.slice(0, 12), dir: session.direction }, 'peer connected');
  ctx.safeEmit('peer:connect', ctx.info(session));
}

/** A session ended: fail its requests; report it (and redial a persistent peer) if it was live. */
export function sessionEnded(
  ctx: RegistryContext,
  session: Session,
  reason: string,
  wasActive: boolean,
): void {
  ctx.liveness.stop(session);
  session.lifetime.abort();
  session.failAll(reason);
  if (!wasActive) return;
  if (!ctx.manager.table.get(session.peerId)) ctx.scores.forget(session.peerId);
  if (session.dialable) ctx.discovery?.ended(session.address);
  ctx.log.debug({ peer: session.peerId.slice(0, 12), reason }, 'peer disconnected');
  ctx.safeEmit('peer:disconnect', { peerId: session.peerId, reason, info: ctx.info(session) });
  if (
    ctx.state === 'started' &&
    ctx.reconnect.has(session.address) &&
    !ctx.manager.table.get(session.peerId)
  ) {
    ctx.reconnect.lost(session.address);
  }
}
