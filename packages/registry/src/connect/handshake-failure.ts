import { encodeFrame, message, pb, WireError } from '@tc/wire';
import { FOREIGN_PROTOCOL, isForeignProtocol } from '../foreign-protocol.js';
import { HandshakeError } from '../handshake/errors.js';
import type { Attempt } from './attempt.js';

const R = pb.DisconnectReason;

export interface HandshakeFailureEnv {
  /** Charges an error code to a peer (node id once proven, else its IP). */
  penalize(target: { peerId?: string; ip: string }, code: string, detail: string): void;
  /** A dial reached ourselves: never dial this address again. */
  onSelfAddress(address: string): void;
}

/** The code a failed handshake is counted and logged under. */
export function handshakeFailureCode(error: Error): string {
  return error instanceof HandshakeError || error instanceof WireError ? error.code : 'HANDSHAKE_FAILED';
}

/**
 * Closes the connection of a failed handshake and charges whom the error proves at fault: a
 * handshake error with its own penalty and Disconnect reason (sent before the close), a wire
 * error against the IP (nothing is proven of a node id yet), anything else silently.
 */
export function closeFailedHandshake(attempt: Attempt, error: Error, env: HandshakeFailureEnv): void {
  const conn = attempt.conn!;
  if (error instanceof HandshakeError) {
    if (error.code === 'SELF_CONNECTION' && attempt.dialAddress) env.onSelfAddress(attempt.dialAddress);
    const penalty = error.penaltyCode;
    if (penalty) env.penalize({ peerId: error.remoteNodeId, ip: attempt.ip }, penalty, error.message);
    const reason = error.disconnectReason;
    if (reason !== undefined) {
      conn.close(encodeFrame(message('disconnect', { reason, message: error.message.slice(0, 200) })));
    } else conn.close();
  } else if (error instanceof WireError) {
    const code = isForeignProtocol(error) ? FOREIGN_PROTOCOL : error.code;
    env.penalize({ ip: attempt.ip }, code, error.message);
    conn.destroy();
  } else conn.destroy();
}

/** Whether the handshake failed because a connection of the same peer survives (ours or its). */
export function lostToDuplicate(error: Error): boolean {
  return (
    error instanceof HandshakeError &&
    (error.code === 'DUPLICATE' ||
      (error.code === 'REFUSED_BY_PEER' && error.remoteReason === R.DISCONNECT_REASON_DUPLICATE))
  );
}
