import { DialError } from '../errors.js';
import type { Session } from '../session.js';

export interface ConnectWaiter {
  resolve: (session: Session) => void;
  reject: (error: Error) => void;
}

/**
 * Dials (and accepted attempts) waiting for the session their peer ends up with, by peer id.
 * Every entry is settled by a session going live, the peer's last session ending, or its own
 * timeout; nothing stays behind.
 */
export class ConnectWaiters {
  private readonly connectWaiters = new Map<string, ConnectWaiter[]>();

  constructor(private readonly live: (peerId: string) => Session | undefined) {}

  /** Settles every waiter for the session's peer with it. */
  resolve(session: Session): void {
    const waiters = this.connectWaiters.get(session.peerId);
    this.connectWaiters.delete(session.peerId);
    for (const w of waiters ?? []) w.resolve(session);
  }

  /**
   * `waiter` settles when a session to `peerId` is live. With `timeoutMs`, it is rejected if
   * none is by then (a dial refused as a duplicate waits for the peer's connection this way).
   */
  add(peerId: string, waiter: ConnectWaiter, timeoutMs?: number, address?: string): void {
    const live = this.live(peerId);
    if (live && timeoutMs !== undefined) {
      waiter.resolve(live);
      return;
    }
    let entry = waiter;
    if (timeoutMs !== undefined) {
      let done = false;
      const timer = setTimeout(() => {
        if (done) return;
        done = true;
        const list = this.connectWaiters.get(peerId);
        if (list) {
          const rest = list.filter((w) => w !== entry);
          if (rest.length > 0) this.connectWaiters.set(peerId, rest);
          else this.connectWaiters.delete(peerId);
        }
        waiter.reject(
          new DialError('DIAL_FAILED', address ?? peerId, 'refused as a duplicate, no session followed'),
        );
      }, timeoutMs);
      timer.unref();
      entry = {
        resolve: (s) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          waiter.resolve(s);
        },
        reject: (e) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          waiter.reject(e);
        },
      };
    }
    const list = this.connectWaiters.get(peerId);
    if (list) list.push(entry);
    else this.connectWaiters.set(peerId, [entry]);
  }

  /** Rejects every waiter for `peerId` (its last session ended). */
  rejectAll(peerId: string, reason: string): void {
    const waiters = this.connectWaiters.get(peerId);
    if (!waiters) return;
    this.connectWaiters.delete(peerId);
    for (const w of waiters) w.reject(new DialError('DIAL_FAILED', peerId, `session ended: ${reason}`));
  }
}
