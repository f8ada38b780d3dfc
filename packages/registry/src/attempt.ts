import type { Connection } from './connection.js';
import type { Handshake } from './handshake/handshake.js';
import type { Direction, Session } from './session.js';

/**
 * One connection attempt before it is a session: an outbound dial (from before the TCP
 * connect) or an accepted inbound socket, until its handshake succeeds or fails.
 * Sessions parked by the dedup logic wait on the attempts that race them.
 */
export class Attempt {
  conn: Connection | undefined;
  handshake: Handshake | undefined;
  timer: NodeJS.Timeout | undefined;
  /** Set once the handshake succeeded. */
  session: Session | undefined;
  /** Whether admission promoted its slot (so release says established). */
  promoted = false;
  done = false;
  /** Fails the handshake in progress (set once the socket is attached). */
  fail: ((error: Error) => void) | undefined;
  /** Parked sessions waiting for this attempt to finish. */
  readonly waiters = new Set<Session>();

  constructor(
    readonly direction: Direction,
    readonly ip: string,
    readonly dialAddress: string | undefined,
  ) {}

  /** Node id claimed in the peer's Hello (not yet proven), once it arrived. */
  get claimedNodeId(): string | undefined {
    return this.handshake?.claimedNodeId;
  }

  /**
   * Whether this unfinished attempt could turn out to be another connection to the peer of
   * `session`: it claims the same node id, or (no Hello yet) it is a dial to the address the
   * peer advertises, or an inbound socket from the peer's IP.
   */
  races(session: Session, remoteIp: string): boolean {
    if (this.done) return false;
    const claimed = this.claimedNodeId;
    if (claimed !== undefined) return claimed === session.peerId;
    if (this.direction === 'outbound') return this.dialAddress === session.address;
    return this.ip === remoteIp;
  }
}
