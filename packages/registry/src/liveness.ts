import { performance } from 'node:perf_hooks';
import { message, u64 } from '@tc/wire';
import { RemoteError, RequestTimeoutError } from './errors.js';
import type { Session } from './session.js';

export interface LivenessEnv {
  readonly intervalMs: number;
  readonly maxMissedPongs: number;
  /** Whether our own event-loop lag excuses a ping that timed out (started at Date.now() ms). */
  excused(startMs: number): boolean;
  /** The peer missed `maxMissedPongs` pongs in a row. */
  onDead(session: Session): void;
  onRtt(session: Session, ms: number): void;
}

/**
 * Pings every session at an interval (timer unref'd). Each ping is an ordinary request
 * whose timeout is one interval; a pong (or any reply, even an error) proves liveness and
 * feeds the RTT moving average. `maxMissedPongs` unanswered pings in a row → onDead.
 */
export class Liveness {
  private nonce = 0;

  constructor(private readonly env: LivenessEnv) {}

  start(session: Session): void {
    if (this.env.intervalMs <= 0 || session.pingTimer) return;
    session.pingTimer = setInterval(() => this.tick(session), this.env.intervalMs);
    session.pingTimer.unref();
  }

  stop(session: Session): void {
    if (session.pingTimer) clearInterval(session.pingTimer);
    session.pingTimer = undefined;
  }

  private tick(session: Session): void {
    if (!session.open) {
      this.stop(session);
      return;
    }
    if (session.pingOutstanding) return; // missed ticks are skipped, never bunched
    session.pingOutstanding = true;
    const startMs = Date.now();
    const t0 = performance.now();
    this.nonce = (this.nonce + 1) % Number.MAX_SAFE_INTEGER;
    const msg = message('ping', { nonce: u64(this.nonce), sentAtMs: u64(startMs) });
    session.request(msg, { timeoutMs: this.env.intervalMs, expect: 'pong', urgent: true }).then(
      () => {
        session.pingOutstanding = false;
        session.missedPongs = 0;
        this.env.onRtt(session, performance.now() - t0);
      },
      (error: unknown) => {
        session.pingOutstanding = false;
        if (error instanceof RemoteError) {
          session.missedPongs = 0; // it answered: alive, just unwilling
          return;
        }
        if (!(error instanceof RequestTimeoutError) || !session.open) return;
        if (this.env.excused(startMs)) return;
        session.missedPongs++;
        if (session.missedPongs >= this.env.maxMissedPongs) this.env.onDead(session);
      },
    );
  }
}
