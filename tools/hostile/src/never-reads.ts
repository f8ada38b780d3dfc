import { message, u64 } from '@tc/wire';
import { type HostileCase, openSession, sessionNotOpened } from './case.js';
import { CONFIRM_REQUEST_ID } from './client-handshake.js';
import { describeClose } from './observe.js';

/**
 * A peer that never reads: after a real handshake it stops reading its socket and keeps
 * asking for data (a getBlockRange of `rangeCount` blocks every `requestIntervalMs`, within
 * tc's default quota of 200 blocks/s), so the node's replies (and pings) pile up in its
 * write queue. Expected on a tc node: the queue stays over maxQueuedBytesPerPeer for
 * sendDrainTimeoutMs → TOO_SLOW → disconnect (never a ban); a node with little to send
 * instead drops it after maxMissedPongs pings (PING_TIMEOUT, ~30 s at defaults).
 * While not reading we only learn of the close when a write fails (the node's kernel resets
 * a closed connection that still receives data); afterwards we read what had arrived.
 * Required: the node closes the connection within `maxWaitMs`.
 */
export const neverReads: HostileCase = {
  name: 'never-reads',
  expected: 'disconnect (TOO_SLOW once the write queue is full, or PING_TIMEOUT)',
  async run(ctx) {
    const { maxWaitMs, requestIntervalMs, rangeCount } = ctx.o.neverReads;
    const s = await openSession(ctx);
    if (!s.ws || !s.outcome?.ok) return sessionNotOpened(s);
    const ws = s.ws;
    try {
      ws.pauseReading();
      const started = Date.now();
      const gone = () => ws.closedByNode || ws.closed;
      let id = CONFIRM_REQUEST_ID + 1;
      let sent = 0;
      while (!gone() && Date.now() - started < maxWaitMs) {
        ws.send(message('getBlockRange', { startHeight: u64(0), count: rangeCount }, id++));
        sent++;
        await ws.waitFor(gone, requestIntervalMs);
      }
      const closedAfterMs = gone() ? Date.now() - started : undefined;
      // Read what the node had managed to deliver (bounded).
      ws.resumeReading();
      await ws.waitFor(() => ws.closed, closedAfterMs === undefined ? 500 : 2_000);
      const o = ws.observation();
      const closed = closedAfterMs !== undefined;
      return {
        reactions: closed ? ['disconnect'] : ['none'],
        detail: closed
          ? `stopped reading; node closed the connection ${closedAfterMs} ms later ` +
            `(${sent} getBlockRange sent, ${o.bytesReceived} B delivered before the close); ${describeClose(o)}`
          : `stopped reading for ${maxWaitMs} ms (${sent} getBlockRange sent): node kept the connection`,
        ok: closed,
        data: { requestsSent: sent, closedAfterMs, observation: o },
      };
    } finally {
      ws.destroy();
    }
  },
};
