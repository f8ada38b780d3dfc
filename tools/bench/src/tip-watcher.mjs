// Polls nodes' tips to time block propagation (the bench's devnet step).
import { rpc, sleep } from './node-process.mjs';

/**
 * Follows the tips of several nodes by polling `getbestblockhash` on each in its own loop
 * (`intervalMs` between polls). Records, per block hash, when each node first reported it.
 */
export class TipWatcher {
  constructor(urls, intervalMs = 10) {
    this.urls = urls;
    this.intervalMs = intervalMs;
    /** hash → Map(node index → first seen ms) */
    this.seen = new Map();
    this.polls = 0;
    this.pollMs = 0;
    this.running = false;
    this.loops = [];
  }

  start() {
    this.running = true;
    this.loops = this.urls.map((url, i) => this.loop(url, i));
  }

  async loop(url, i) {
    while (this.running) {
      const t0 = performance.now();
      try {
        const hash = await rpc(url, 'getbestblockhash', [], 2000);
        const t1 = performance.now();
        this.polls++;
        this.pollMs += t1 - t0;
        let m = this.seen.get(hash);
        if (!m) {
          m = new Map();
          this.seen.set(hash, m);
        }
        // The block became the tip somewhere between the previous poll and this answer;
        // take the midpoint of the request as the estimate.
        if (!m.has(i)) m.set(i, (t0 + t1) / 2);
      } catch {
        // node not up yet or busy: try again
      }
      await sleep(this.intervalMs);
    }
  }

  async stop() {
    this.running = false;
    await Promise.all(this.loops);
  }

  /**
   * Propagation (ms) of every block all nodes reported: last node's first sight − first node's.
   * The tip current when watching started is dropped, and so is every block first seen before
   * `sinceMs` (performance.now() time; a warm-up while peers connect).
   */
  propagation(sinceMs = Number.NEGATIVE_INFINITY) {
    const out = [];
    let first = true;
    for (const m of this.seen.values()) {
      const ts = [...m.values()];
      const t0 = Math.min(...ts);
      const skip = first || t0 < sinceMs;
      first = false;
      if (skip || m.size < this.urls.length) continue;
      out.push(Math.max(...ts) - t0);
    }
    return out;
  }

  /** Blocks first seen at or after `sinceMs` that not every node reported as its tip. */
  partial(sinceMs = Number.NEGATIVE_INFINITY) {
    let n = 0;
    for (const m of this.seen.values()) {
      if (m.size < this.urls.length && Math.min(...m.values()) >= sinceMs) n++;
    }
    return n;
  }

  /** Mean time of one poll round trip (the measurement's resolution is about this plus intervalMs). */
  meanPollMs() {
    return this.polls ? this.pollMs / this.polls : Number.NaN;
  }
}
