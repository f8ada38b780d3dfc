import type { Direction, PeerTip, Session } from './session.js';

/** What `peers()` reports for one live session. */
export interface PeerInfo {
  /** Node id (hex SHA-256 of the peer's Ed25519 public key). */
  readonly id: string;
  /** "host:port": the dialled address, or the peer's IP with its advertised listen port. */
  readonly address: string;
  /** Whether `address` accepts connections (outbound, or inbound with a listen port). */
  readonly dialable: boolean;
  readonly direction: Direction;
  /** Epoch ms when the session became live. */
  readonly connectedAtMs: number;
  /** Ping round-trip time, moving average (ms); undefined before the first pong. */
  readonly rttMs: number | undefined;
  /** Our requests to the peer awaiting a response. */
  readonly requestsInFlight: number;
  /** The peer's requests we are handling. */
  readonly inboundRequestsInFlight: number;
  /** Bytes queued for writing to the peer. */
  readonly queuedBytes: number;
  /** Bytes received from the peer on this session's socket (handshake included). */
  readonly bytesIn: number;
  /** Bytes written to the peer on this session's socket (handshake included). */
  readonly bytesOut: number;
  /** Decaying score (−100..100). */
  readonly score: number;
  /** Last known tip: from its Hello, getChainTip answers and tip announcements (never moves back). */
  readonly tip: PeerTip;
  readonly agent: string;
  readonly protocolVersion: number;
  /** Session generation, unique per registry: tells a reconnection from the session before it. */
  readonly generation: number;
}

export function peerInfo(s: Session, score: number): PeerInfo {
  return {
    id: s.peerId,
    address: s.address,
    dialable: s.dialable,
    direction: s.direction,
    connectedAtMs: s.connectedAtMs,
    rttMs: s.rttMs,
    requestsInFlight: s.requestsInFlight,
    inboundRequestsInFlight: s.inboundInflight,
    queuedBytes: s.connection.queuedBytes,
    bytesIn: s.connection.bytesIn,
    bytesOut: s.connection.bytesOut,
    score,
    tip: s.tip,
    agent: s.hello.agent,
    protocolVersion: s.hello.protocolVersion,
    generation: s.generation,
  };
}
