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
  /** The ping state of every session being pinged; this class is its only writer. */
  private readonly pinged = new Map<Session, PingState>();

  constructor(private readonly env: LivenessEnv) {}

  start(session: Session): void {
    if (this.env.intervalMs <= 0 || this.pinged.has(session)) return;
    const timer = setInterval(() => this.tick(session), this.env.intervalMs);
    timer.unref();
    this.pinged.set(session, { timer, outstanding: false, missed: 0 });
  }

  stop(session: Session): void {
    const state = this.pinged.get(session);
    if (state) clearInterval(state.timer);
    this.pinged.delete(session);
  }

  /** Pongs missed in a row by the session (0 when it is not pinged). */
  missedPongs(session: Session): number {
    return this.pinged.get(session)?.missed ?? 0;
  }

  private tick(session: Session): void {
    const state = this.pinged.get(session);
    if (state === undefined) return;
    if (!session.open) {
      this.stop(session);
      return;
    }
    if (state.outstanding) return; // missed ticks are skipped, never bunched
    state.outstanding = true;
    const startMs = Date.now();
    const t0 = performance.now();
    this.nonce = (this.nonce + 1) % Number.MAX_SAFE_INTEGER;
    const msg = message('ping', { nonce: u64(this.nonce), sentAtMs: u64(startMs) });
    session.request(msg, { timeoutMs: this.env.intervalMs, expect: 'pong', urgent: true }).then(
      () => {
        state.outstanding = false;
        state.missed = 0;
        this.env.onRtt(session, performance.now() - t0);
      },
      (error: unknown) => {
        state.outstanding = false;
        if (error instanceof RemoteError) {
          state.missed = 0; // it answered: alive, just unwilling
          return;
        }
        if (!(error instanceof RequestTimeoutError) || !session.open) return;
        if (this.env.excused(startMs)) return;
        state.missed++;
        if (state.missed >= this.env.maxMissedPongs) this.env.onDead(session);
      },
    );
  }
}

interface PingState {
  readonly timer: NodeJS.Timeout;
  /** A ping awaits its pong. */
  outstanding: boolean;
  /** Pings unanswered in a row. */
  missed: number;
}
