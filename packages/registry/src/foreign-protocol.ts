import { FrameTooLargeError } from '@tc/wire';
import type { ErrorActionRule } from './peer-score/index.js';

/**
 * Another protocol spoken at our port before any handshake: an HTTP request ("GET " reads as a
 * 1.2 GB length prefix), a TLS ClientHello, an SSH banner. The connection is dropped like any
 * oversize frame, but charged as FOREIGN_PROTOCOL (disconnect, no score, no ban) instead of
 * FRAME_TOO_LARGE (a 30-minute address ban): a health check or a port scan from a shared
 * address must not lock out the peers behind it. Only the first 4 bytes are looked at.
 */
export const FOREIGN_PROTOCOL = 'FOREIGN_PROTOCOL';

export const FOREIGN_PROTOCOL_RULE: ErrorActionRule = Object.freeze({
  action: 'disconnect',
  description: 'another protocol (HTTP, TLS, SSH) at the P2P port before the handshake',
});

const PREFIXES = ['GET ', 'POST', 'PUT ', 'HEAD', 'DELE', 'OPTI', 'PATC', 'CONN', 'TRAC', 'PRI ', 'SSH-'];
const ASCII_PREFIXES = new Set(PREFIXES.map((p) => Buffer.from(p, 'ascii').readUInt32BE(0)));

/** Whether a pre-handshake wire error is really another protocol's greeting. */
export function isForeignProtocol(error: unknown): boolean {
  if (!(error instanceof FrameTooLargeError) || error.direction !== 'decode') return false;
  const first4 = error.length >>> 0;
  if (ASCII_PREFIXES.has(first4)) return true;
  // TLS record: content type 22 (handshake), version 3.x.
  return first4 >>> 24 === 0x16 && ((first4 >>> 16) & 0xff) === 0x03;
}
