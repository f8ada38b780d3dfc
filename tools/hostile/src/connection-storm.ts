import { connect, type Socket } from 'node:net';
import { type DecodedFrame, FrameDecoder, pb } from '@tc/wire';
import { type CaseContext, connectAdmitted, type HostileCase } from './case.js';
import { sleep } from './observe.js';

/** One storm socket's fate. */
interface StormSocket {
  readonly socket: Socket;
  connected: boolean;
  connectFailed: string | undefined;
  /** ms from the storm's start to the node's Hello. */
  helloAt: number | undefined;
  /** ms from the storm's start to the node's close. */
  closedAt: number | undefined;
  byNode: boolean;
  reason: number | undefined;
}

/** How the storm sockets ended. */
export interface StormCounts {
  readonly opened: number;
  /** TCP connect failed or timed out (listen backlog full). */
  readonly connectFailed: number;
  /** Closed by the node before its Hello: turned away by admission. */
  readonly refused: number;
  /** The node sent its Hello: admitted into a handshake. */
  readonly admitted: number;
  /** Admitted, then closed by the node (at its handshake deadline). */
  readonly closedAfterHello: number;
  /** …of which with Disconnect HANDSHAKE_TIMEOUT. */
  readonly handshakeTimeouts: number;
  /** Still open (by the node) when we gave up waiting: the node neither refused nor timed it out. */
  readonly stillOpen: number;
}

/**
 * Connection storm: `storm.connections` (default 1 000) raw TCP connections opened at once,
 * each of which never says anything. Expected on a tc node: admission turns most away at
 * once (maxPendingInbound, maxInbound, maxPerIp, subnet rate: closed before the Hello), the
 * admitted ones are closed at the handshake deadline, the honest peer keeps being served,
 * and once we close everything a new connection is admitted again (every slot released).
 * Required: no storm socket outlives its handshake deadline by more than 1.5 × and a fresh
 * connection is admitted within `storm.cleanupTimeoutMs`.
 */
export const connectionStorm: HostileCase = {
  name: 'connection-storm',
  expected: 'refused by admission (most), the rest closed at the handshake deadline; slots freed',
  async run(ctx) {
    const { connections, connectTimeoutMs } = ctx.o.storm;
    const started = Date.now();
    const sockets = Array.from({ length: connections }, () => open(ctx, started, connectTimeoutMs));
    // Every socket has connected or failed, and has been refused, admitted or closed (bounded).
    const settled = (s: StormSocket) =>
      s.connectFailed !== undefined || (s.connected && (s.helloAt !== undefined || s.closedAt !== undefined));
    await until(() => sockets.every(settled), connectTimeoutMs + 1_000);
    // Then give each admitted socket its handshake deadline (× 1.5 + 1 s), bounded by holdMs past the last Hello.
    const deadline = ctx.o.handshakeDeadlineMs;
    const lastHello = Math.max(0, ...sockets.map((s) => s.helloAt ?? 0));
    const holdUntil = started + Math.max(ctx.o.storm.holdMs, lastHello + deadline * 1.5 + 1_000);
    await until(
      () => sockets.every((s) => s.connectFailed !== undefined || s.closedAt !== undefined),
      holdUntil - Date.now(),
    );
    const counts = count(sockets);
    const stormMs = Date.now() - started;
    for (const s of sockets) s.socket.destroy();
    // Every slot must come back: a fresh connection is admitted again.
    const cleanupStarted = Date.now();
    await sleep(100);
    const fresh = await connectAdmitted({
      ...ctx,
      o: { ...ctx.o, admissionRetryMs: ctx.o.storm.cleanupTimeoutMs },
    });
    fresh.ws?.destroy();
    const cleanupMs = Date.now() - cleanupStarted;
    const cleaned = fresh.ws !== undefined;
    const reactions = [
      ...(counts.refused > 0 ? (['refused'] as const) : []),
      ...(counts.closedAfterHello > 0 ? (['disconnect'] as const) : []),
    ];
    return {
      reactions: reactions.length > 0 ? [...reactions] : ['none'],
      detail:
        `${connections} sockets at once: ${counts.refused} refused before Hello, ${counts.admitted} admitted ` +
        `(${counts.closedAfterHello} closed by node, ${counts.handshakeTimeouts} HANDSHAKE_TIMEOUT), ` +
        `${counts.connectFailed} connect failed, ${counts.stillOpen} still open after ${stormMs} ms; ` +
        (cleaned
          ? `new connection admitted ${cleanupMs} ms after we closed ours`
          : `no new connection admitted within ${ctx.o.storm.cleanupTimeoutMs} ms`),
      ok: counts.stillOpen === 0 && cleaned,
      data: { ...counts, stormMs, cleanupMs, cleanupAdmitted: cleaned, cleanupRefusals: fresh.refusals },
    };
  },
};

function open(ctx: CaseContext, started: number, connectTimeoutMs: number): StormSocket {
  const socket = connect({
    host: ctx.target.host,
    port: ctx.target.port,
    ...(ctx.o.localAddress ? { localAddress: ctx.o.localAddress } : {}),
  });
  const s: StormSocket = {
    socket,
    connected: false,
    connectFailed: undefined,
    helloAt: undefined,
    closedAt: undefined,
    byNode: false,
    reason: undefined,
  };
  const decoder = new FrameDecoder();
  const timer = setTimeout(() => {
    if (!s.connected) {
      s.connectFailed = 'timeout';
      socket.destroy();
    }
  }, connectTimeoutMs);
  timer.unref();
  socket.once('connect', () => {
    s.connected = true;
    clearTimeout(timer);
  });
  socket.on('data', (chunk: Buffer) => {
    if (decoder.broken) return;
    try {
      for (const f of decoder.push(chunk) as Iterable<DecodedFrame>) {
        if (f.kind === 'hello') s.helloAt ??= Date.now() - started;
        if (f.kind === 'disconnect') s.reason = f.body.reason;
      }
    } catch {
      // undecodable bytes from the node: counted as an ordinary close below
    }
  });
  socket.on('end', () => {
    s.byNode = true;
  });
  socket.on('error', (error: NodeJS.ErrnoException) => {
    if (!s.connected) s.connectFailed = error.code ?? error.message;
    else if (error.code === 'ECONNRESET') s.byNode = true;
  });
  socket.on('close', () => {
    clearTimeout(timer);
    if (s.connected && s.closedAt === undefined && s.byNode) s.closedAt = Date.now() - started;
  });
  return s;
}

function count(sockets: StormSocket[]): StormCounts {
  let connectFailed = 0;
  let refused = 0;
  let admitted = 0;
  let closedAfterHello = 0;
  let handshakeTimeouts = 0;
  let stillOpen = 0;
  for (const s of sockets) {
    if (s.connectFailed !== undefined) connectFailed++;
    else if (s.helloAt === undefined && s.closedAt !== undefined) refused++;
    else if (s.helloAt !== undefined) {
      admitted++;
      if (s.closedAt !== undefined) {
        closedAfterHello++;
        if (s.reason === pb.DisconnectReason.DISCONNECT_REASON_HANDSHAKE_TIMEOUT) handshakeTimeouts++;
      } else stillOpen++;
    } else stillOpen++;
  }
  return {
    opened: sockets.length,
    connectFailed,
    refused,
    admitted,
    closedAfterHello,
    handshakeTimeouts,
    stillOpen,
  };
}

/** Polls `check` every 20 ms until it holds or `maxMs` passed (bounded). */
async function until(check: () => boolean, maxMs: number): Promise<void> {
  const deadline = Date.now() + Math.max(0, maxMs);
  while (!check() && Date.now() < deadline) await sleep(20);
}
