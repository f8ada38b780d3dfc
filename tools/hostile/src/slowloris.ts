import { randomBytes } from 'node:crypto';
import { NONCE_BYTES, NodeIdentity } from '@tc/registry';
import { encodeFrame } from '@tc/wire';
import { type CaseContext, connectAdmitted, type HostileCase, handshakeOptions } from './case.js';
import { helloMessage } from './client-handshake.js';
import { describeClose, type Observation } from './observe.js';

/**
 * Slowloris: a valid Hello sent one byte every `byteIntervalMs` on `connections` sockets at
 * once, so the handshake can never finish in time. Expected: each socket is closed at the
 * node's handshake deadline (tc: Disconnect HANDSHAKE_TIMEOUT, no score), whatever the trickle.
 * Required: every socket closed by the node within 1.5 × the deadline + 1 s.
 */
export const slowloris: HostileCase = {
  name: 'slowloris',
  expected: 'disconnect at the handshake deadline (HANDSHAKE_TIMEOUT)',
  async run(ctx) {
    const n = ctx.o.slowloris.connections;
    const results = await Promise.all(Array.from({ length: n }, () => trickle(ctx)));
    const observed = results.filter((r): r is Observation => r !== undefined);
    const deadline = ctx.o.handshakeDeadlineMs;
    const limit = deadline * 1.5 + 1_000;
    const closed = observed.filter((o) => o.closedByNode && (o.closedAfterMs ?? Infinity) <= limit);
    const times = observed.map((o) => o.closedAfterMs ?? -1);
    const reasons = [...new Set(observed.map((o) => o.disconnect?.name ?? 'none'))];
    const notAdmitted = n - observed.length;
    return {
      reactions: closed.length > 0 ? ['disconnect'] : ['none'],
      detail:
        `${n} socket(s) trickling 1 B/${ctx.o.slowloris.byteIntervalMs} ms: ` +
        `${closed.length}/${observed.length} closed by node within ${limit} ms ` +
        `(after ${times.join('/')} ms; expected deadline ${deadline} ms), Disconnect ${reasons.join('/')}` +
        (notAdmitted > 0 ? `; ${notAdmitted} never admitted` : '') +
        (observed[0] ? `; first: ${describeClose(observed[0])}` : ''),
      ok: observed.length > 0 && closed.length === observed.length,
      data: { connections: n, closedAfterMs: times, reasons, notAdmitted, limitMs: limit },
    };
  },
};

async function trickle(ctx: CaseContext): Promise<Observation | undefined> {
  const { ws } = await connectAdmitted(ctx);
  if (!ws) return undefined;
  try {
    const identity = NodeIdentity.generate();
    const hello = encodeFrame(
      helloMessage(handshakeOptions(ctx), identity.publicKey, randomBytes(NONCE_BYTES)),
    );
    const stopAt = ws.connectedAt + ctx.o.handshakeDeadlineMs * 2 + 2_000;
    const gone = () => ws.closedByNode || ws.closed;
    for (let i = 0; i < hello.length && !gone() && Date.now() < stopAt; i++) {
      ws.writeRaw(hello.subarray(i, i + 1));
      await ws.waitFor(gone, ctx.o.slowloris.byteIntervalMs);
    }
    if (!gone()) await ws.waitFor(gone, Math.max(0, stopAt - Date.now()));
    return ws.observation();
  } finally {
    ws.destroy();
  }
}
