/**
 * At most one log line per key (a peer, an IP) per window, so a peer that misbehaves in a loop
 * cannot flood the operator's log. Bounded: past `maxKeys` the oldest key is forgotten.
 */
export class LogLimiter {
  private readonly last = new Map<string, number>();

  constructor(
    private readonly windowMs = 10_000,
    private readonly maxKeys = 1_024,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether a line about `key` may be logged now (and, if so, counts it). */
  allow(key: string): boolean {
    const now = this.now();
    const at = this.last.get(key);
    if (at !== undefined && now - at < this.windowMs) return false;
    this.last.delete(key);
    this.last.set(key, now);
    if (this.last.size > this.maxKeys) this.last.delete(this.last.keys().next().value!);
    return true;
  }
}
