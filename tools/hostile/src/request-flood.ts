import { ERROR_REPLY_CODES } from '@tc/registry';
import { encodeFrame, message, type OutgoingMessage, u64 } from '@tc/wire';
import { type HostileCase, openSession, sessionNotOpened } from './case.js';
import { CONFIRM_REQUEST_ID } from './client-handshake.js';
import type { ProbeKind } from './honest-probe.js';
import { describeClose } from './observe.js';

const RESPONSE_KIND: Record<ProbeKind, string> = { ping: 'pong', getChainTip: 'chainTip', getPeers: 'peers' };

/**
 * Request flood: after a real handshake, `flood.requests` requests of `flood.kind` (default
 * ping) in one write. Expected on a tc node: the per-peer quota's burst is answered, the rest
 * get ErrorReply RATE_LIMITED (score −1 each) until the score crosses −20 and the peer is
 * disconnected (Disconnect MISBEHAVIOUR). Required: rate-limited replies or a disconnect, and
 * not every request answered. The honest peer's latency is judged by the runner.
 */
export const requestFlood: HostileCase = {
  name: 'request-flood',
  expected: 'rate-limit (ErrorReply RATE_LIMITED), then disconnect (MISBEHAVIOUR)',
  async run(ctx) {
    const { kind, requests, waitMs } = ctx.o.flood;
    const s = await openSession(ctx);
    if (!s.ws || !s.outcome?.ok) return sessionNotOpened(s, ' to flood');
    const ws = s.ws;
    try {
      const frames: Uint8Array[] = [];
      for (let i = 0; i < requests; i++) frames.push(encodeFrame(request(kind, CONFIRM_REQUEST_ID + 1 + i)));
      const started = Date.now();
      ws.writeRaw(Buffer.concat(frames));
      const responseKind = RESPONSE_KIND[kind];
      const confirm = kind === 'ping' ? 1 : 0;
      const replies = () =>
        (ws.kinds[responseKind] ?? 0) - confirm + Object.values(ws.errorReplies).reduce((a, b) => a + b, 0);
      // Until the node closes, everything is answered, or nothing arrived for 1 s (bounded by waitMs).
      const deadline = started + waitMs;
      let seen = -1;
      while (Date.now() < deadline && seen !== ws.framesReceived) {
        seen = ws.framesReceived;
        const done = await ws.waitFor(
          () => ws.closedByNode || ws.closed || replies() >= requests,
          Math.min(1_000, Math.max(0, deadline - Date.now())),
        );
        if (done) break;
      }
      const answered = (ws.kinds[responseKind] ?? 0) - confirm;
      const limited = ws.errorReplies[ERROR_REPLY_CODES.RATE_LIMITED] ?? 0;
      const busy = ws.errorReplies[ERROR_REPLY_CODES.BUSY] ?? 0;
      const o = ws.observation();
      const reactions = [
        ...(limited > 0 || busy > 0 ? (['rate-limit'] as const) : []),
        ...(o.closedByNode ? (['disconnect'] as const) : []),
      ];
      return {
        reactions: reactions.length > 0 ? [...reactions] : ['none'],
        detail:
          `${requests} ${kind} in one write: ${answered} answered, ${limited} RATE_LIMITED, ${busy} BUSY; ` +
          describeClose(o),
        ok: (limited > 0 || busy > 0 || o.closedByNode) && answered < requests,
        data: { requests, kind, answered, rateLimited: limited, busy, observation: o },
      };
    } finally {
      ws.destroy();
    }
  },
};

export function request(kind: ProbeKind, id: number): OutgoingMessage {
  switch (kind) {
    case 'ping':
      return message('ping', { nonce: u64(id), sentAtMs: u64(Date.now()) }, id);
    case 'getPeers':
      return message('getPeers', { max: 1 }, id);
    default:
      return message('getChainTip', {}, id);
  }
}
