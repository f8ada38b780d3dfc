import { pb } from '@tc/wire';
import { HandshakeError } from '../handshake/errors.js';
import { LogLimiter } from '../log-limiter.js';
import type { Logger } from '../logger.js';
import type { Attempt } from './attempt.js';

const R = pb.DisconnectReason;

/** Handshake ends that are ordinary (a closed socket, a duplicate, a timeout): logged at debug. */
const QUIET_HANDSHAKE_ENDS: ReadonlySet<string> = new Set([
  'CONNECTION_CLOSED',
  'SHUTTING_DOWN',
  'DUPLICATE',
  'SELF_CONNECTION',
  'HANDSHAKE_TIMEOUT',
]);

/** Why handshakes failed, at a level an operator can act on, without flooding the log. */
export class RefusalLog {
  private readonly limit = new LogLimiter();

  constructor(private readonly logger: Logger) {}

  /**
   * A refused handshake at info, and a configuration mismatch (genesis, network, version) at
   * warn, on both sides: the operator must see why two nodes never connect. One line per IP
   * per 10 s; ordinary ends (a closed socket, a duplicate, a timeout) stay at debug.
   */
  log(attempt: Attempt, code: string, error: Error): void {
    const line = { ip: attempt.ip, address: attempt.dialAddress, code, err: error.message };
    const remote = error instanceof HandshakeError ? error.remoteReason : undefined;
    const mismatch =
      code === 'WRONG_GENESIS' ||
      code === 'WRONG_NETWORK' ||
      code === 'INCOMPATIBLE_VERSION' ||
      remote === R.DISCONNECT_REASON_WRONG_GENESIS ||
      remote === R.DISCONNECT_REASON_WRONG_NETWORK ||
      remote === R.DISCONNECT_REASON_INCOMPATIBLE_VERSION;
    if (QUIET_HANDSHAKE_ENDS.has(code) || (code === 'REFUSED_BY_PEER' && !mismatch)) {
      this.logger.debug(line, 'handshake failed');
    } else if (this.limit.allow(attempt.ip)) {
      if (mismatch)
        this.logger.warn(line, 'handshake refused: the peer is configured for another chain or network');
      else this.logger.info(line, 'handshake refused');
    }
  }
}
