import { formatAddress } from '../address.js';
import type { HandshakeResult } from '../handshake/handshake.js';
import type { ResolvedOptions } from '../options.js';
import { Session, type SessionHooks } from '../session.js';
import type { Attempt } from './attempt.js';
import { dedupKey } from './session-table.js';

/**
 * The session of an attempt whose handshake succeeded: its address (the dialled one, or the
 * peer's IP with its advertised listen port), its dedup key (the dialer's node id and Hello
 * nonce) and its bounds.
 */
export function sessionFromHandshake(
  attempt: Attempt,
  result: HandshakeResult,
  o: { localId: string; generation: number; options: ResolvedOptions; hooks: SessionHooks },
): Session {
  const conn = attempt.conn!;
  const outbound = attempt.direction === 'outbound';
  const listenPort = result.hello.listenPort;
  const address = outbound
    ? attempt.dialAddress!
    : formatAddress(attempt.ip, listenPort > 0 ? listenPort : conn.remotePort);
  const limits = o.options.limits;
  const session = new Session({
    peerId: result.remoteNodeId,
    generation: o.generation,
    direction: attempt.direction,
    address,
    dialable: outbound || listenPort > 0,
    hello: result.hello,
    dedupKey: outbound
      ? dedupKey(o.localId, result.localNonce)
      : dedupKey(result.remoteNodeId, result.remoteNonce),
    connection: conn,
    maxInflightOutbound: limits.maxInflightOutboundPerPeer,
    maxQueuedRequests: limits.maxQueuedRequestsPerPeer,
    sendDrainTimeoutMs: limits.sendDrainTimeoutMs,
    wireLimits: o.options.wireLimits,
    hooks: o.hooks,
    // A connection that already waited for our own dials (a held ack) waits at most what is left.
    waitStartedAt: attempt.waitStartedAt,
  });
  return session;
}
