import type { Session } from './session.js';

interface Partial {
  /** Bytes of the frame in progress received so far. */
  bytes: number;
  /** When its header arrived. */
  since: number;
  /** It answers a request of ours (not counted against the budget). */
  solicited: boolean;
}

/**
 * The bytes of unfinished frames no request of ours asked for (gossip, unknown kinds), across
 * all sessions, bounded by `limits.maxPartialFrameBytes`. A peer that starts a large frame and
 * withholds its end (it cannot answer pings mid-frame, so only the ping timeout would free it)
 * pins at most its kind's limit; many such peers together pin at most the budget. Over it, the
 * session whose unsolicited frame has been in progress longest is dropped (`evict`): an
 * attacker pinning memory is the oldest, an honest sender finishes its frame quickly.
 */
export class PartialFrameBudget {
  private readonly partials = new Map<Session, Partial>();
  private total = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly evict: (session: Session, bytes: number) => void,
  ) {}

  /** Bytes of unsolicited unfinished frames now, all sessions together. */
  get bytes(): number {
    return this.total;
  }

  /** A frame's header arrived (its body follows). One entry per session, reused (hot path). */
  frameStarted(session: Session, solicited: boolean): void {
    let p = this.partials.get(session);
    if (p === undefined) {
      p = { bytes: 0, since: 0, solicited };
      this.partials.set(session, p);
    } else this.clear(p);
    p.since = Date.now();
    p.solicited = solicited;
  }

  /** The frame in progress was delivered whole. */
  frameDone(session: Session): void {
    const p = this.partials.get(session);
    if (p !== undefined) this.clear(p);
  }

  /** The session's decoder holds `bytes` of its next frame after delivering every whole one. */
  update(session: Session, bytes: number): void {
    const p = this.partials.get(session);
    if (p === undefined || p.bytes === bytes) return;
    if (!p.solicited) this.total += bytes - p.bytes;
    p.bytes = bytes;
    if (this.total > this.maxBytes) this.overBudget();
  }

  /** The session's connection closed. */
  remove(session: Session): void {
    const p = this.partials.get(session);
    if (p === undefined) return;
    this.clear(p);
    this.partials.delete(session);
  }

  private clear(p: Partial): void {
    if (!p.solicited) this.total -= p.bytes;
    p.bytes = 0;
  }

  private overBudget(): void {
    while (this.total > this.maxBytes) {
      let oldest: [Session, Partial] | undefined;
      for (const entry of this.partials) {
        if (!entry[1].solicited && entry[1].bytes > 0 && (!oldest || entry[1].since < oldest[1].since)) {
          oldest = entry;
        }
      }
      if (oldest === undefined) return;
      this.remove(oldest[0]);
      this.evict(oldest[0], oldest[1].bytes);
    }
  }
}
