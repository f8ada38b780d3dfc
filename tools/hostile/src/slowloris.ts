import { randomBytes } from 'node:crypto';
import { NONCE_BYTES, NodeIdentity } from '@tc/registry';
import { encodeFrame } from '@tc/wire';
import {
  type CaseContext,
  connectAdmitted,
  describeReconnect,
  type HostileCase,
  handshakeOptions,
  reconnectHonest,
} from './case.js';
import { helloMessage } from './client-handshake.js';
import { describeClose, type Observation, sleep, type WireSocket } from './observe.js';

/**
 * Slowloris: a valid Hello sent one byte every `byteIntervalMs` on `connections` sockets at
 * once, so the handshake can never finish in time. Expected: each socket is closed at the
 * node's handshake deadline (tc: Disconnect HANDSHAKE_TIMEOUT, no score), whatever the trickle.
 * With `reconnectDuringAttack`, the honest probe (on the same address unless `localAddress`
 * differs) redials while the trickles are pending; its first answer is a window sample.
 * Required: every socket closed by the node within 1.5 × the deadline + 1 s.
 */
export const slowloris: HostileCase = {
  name: 'slowloris',
  expected: 'disconnect at the handshake deadline (HANDSHAKE_TIMEOUT)',
  async run(ctx) {
    const n = ctx.o.slowloris.connections;
    let admitted = 0;
    const all = Array.from({ length: n }, () =>
      trickle(ctx, () => {
        admitted++;
      }),
    );
    let reconnect: Awaited<ReturnType<typeof reconnectHonest>> | undefined;
    if (ctx.o.reconnectDuringAttack) {
      // Once every trickle is admitted and has sent its first byte (bounded by the connect timeout).
      const by = Date.now() + ctx.o.connectTimeoutMs;
      while (admitted < n && Date.now() < by) await sleep(5);
      if (admitted > 0) reconnect = await reconnectHonest(ctx);
    }
    const results = (await Promise.all(all)).filter((r) => r !== undefined);
    const observed = results.map((r) => r.o);
    const deadline = ctx.o.handshakeDeadlineMs;
    const limit = deadline * 1.5 + 1_000;
    const closed = observed.filter((o) => o.closedByNode && (o.closedAfterMs ?? Infinity) <= limit);
    const times = observed.map((o) => o.closedAfterMs ?? -1);
    const reasons = [...new Set(observed.map((o) => o.disconnect?.name ?? 'none'))];
    const notAdmitted = n - observed.length;
    const endedAt = Math.min(
      ...results.map((r) => (r.o.closedAfterMs === undefined ? Infinity : r.connectedAt + r.o.closedAfterMs)),
    );
    const re = reconnect
      ? describeReconnect(reconnect, Number.isFinite(endedAt) ? endedAt : undefined)
      : undefined;
    return {
      reactions: closed.length > 0 ? ['disconnect'] : ['none'],
      detail:
        `${n} socket(s) trickling 1 B/${ctx.o.slowloris.byteIntervalMs} ms: ` +
        `${closed.length}/${observed.length} closed by node within ${limit} ms ` +
        `(after ${times.join('/')} ms; expected deadline ${deadline} ms), Disconnect ${reasons.join('/')}` +
        (notAdmitted > 0 ? `; ${notAdmitted} never admitted` : '') +
        (observed[0] ? `; first: ${describeClose(observed[0])}` : '') +
        (re ? `; ${re.text}` : ''),
      ok: observed.length > 0 && closed.length === observed.length,
      ...(reconnect ? { honestSessionSurvived: true } : {}),
      ...(reconnect?.ok ? { honestReconnectMs: reconnect.firstAnswerMs } : {}),
      data: {
        connections: n,
        closedAfterMs: times,
        reasons,
        notAdmitted,
        limitMs: limit,
        ...(reconnect ? { reconnect: { ...reconnect, waitedForAttack: re!.waitedForAttack } } : {}),
      },
    };
  },
};

async function trickle(
  ctx: CaseContext,
  onAdmitted: () => void,
): Promise<{ o: Observation; connectedAt: number } | undefined> {
  const { ws } = await connectAdmitted(ctx);
  if (!ws) return undefined;
  try {
    await send(ctx, ws, onAdmitted);
    return { o: ws.observation(), connectedAt: ws.connectedAt };
  } finally {
    ws.destroy();
  }
}

async function send(ctx: CaseContext, ws: WireSocket, onAdmitted: () => void): Promise<void> {
  const identity = NodeIdentity.generate();
  const hello = encodeFrame(
    helloMessage(handshakeOptions(ctx), identity.publicKey, randomBytes(NONCE_BYTES)),
  );
  const stopAt = ws.connectedAt + ctx.o.handshakeDeadlineMs * 2 + 2_000;
  const gone = () => ws.closedByNode || ws.closed;
  for (let i = 0; i < hello.length && !gone() && Date.now() < stopAt; i++) {
    ws.writeRaw(hello.subarray(i, i + 1));
    if (i === 0) onAdmitted();
    await ws.waitFor(gone, ctx.o.slowloris.byteIntervalMs);
  }
  if (!gone()) await ws.waitFor(gone, Math.max(0, stopAt - Date.now()));
}
