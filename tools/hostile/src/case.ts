import {
  type ClientHandshakeOptions,
  clientHandshake,
  describeRefusal,
  type HandshakeOutcome,
} from './client-handshake.js';
import { sleep, type Target, WireSocket } from './observe.js';
import type { CaseName, Resolved } from './options.js';
import type { ProbeHandle } from './probe-handle.js';

/** What the node did, seen from outside. */
export type Reaction = 'disconnect' | 'ban' | 'rate-limit' | 'refused' | 'none';

/** Shared state and helpers handed to every case. */
export interface CaseContext {
  readonly o: Resolved;
  readonly target: Target;
  readonly honest: ProbeHandle;
  log(line: string): void;
}

/** What a case returns; the runner adds the honest peer's latency and the verdict. */
export interface CaseOutcome {
  /** Reactions observed, most severe first (e.g. ['rate-limit', 'disconnect']). */
  readonly reactions: Reaction[];
  /** One line of what was seen. */
  readonly detail: string;
  /** Whether the node reacted at least as the case requires (see README). */
  readonly ok: boolean;
  /**
   * For cases that reconnect the honest probe on purpose: whether its session survived the
   * attack up to then (otherwise the runner compares the session before and after).
   */
  readonly honestSessionSurvived?: boolean;
  /**
   * First answer of the honest probe after it redialled during the attack (ms). One sample
   * hides in a p99, so the runner checks it against the latency limit on its own.
   */
  readonly honestReconnectMs?: number;
  /** This case left our address banned (later cases from it would be refused). */
  readonly addressBanned?: boolean;
  /** Raw figures for the JSON report. */
  readonly data: Record<string, unknown>;
}

export interface HostileCase {
  readonly name: CaseName;
  /** What a tc node is expected to do, for the report. */
  readonly expected: string;
  run(ctx: CaseContext): Promise<CaseOutcome>;
}

/** Connects a raw socket with the run's connect timeout and bind address. */
export function connectRaw(ctx: CaseContext): Promise<WireSocket> {
  return WireSocket.connect(ctx.target, {
    connectTimeoutMs: ctx.o.connectTimeoutMs,
    ...(ctx.o.localAddress ? { localAddress: ctx.o.localAddress } : {}),
  });
}

/**
 * A raw connection the node admitted (its Hello arrived). A socket closed before any Hello
 * was turned away by admission (a limit or an address ban); that is retried every 1.5 s for
 * up to `admissionRetryMs`. Returns undefined when it was never admitted.
 */
export async function connectAdmitted(ctx: CaseContext): Promise<{ ws?: WireSocket; refusals: number }> {
  const deadline = Date.now() + ctx.o.admissionRetryMs;
  let refusals = 0;
  for (let attempt = 0; attempt < 100; attempt++) {
    const ws = await connectRaw(ctx);
    await ws.waitFor(() => ws.helloReceived || ws.closedByNode || ws.closed, ctx.o.connectTimeoutMs);
    if (ws.helloReceived && !ws.closedByNode) return { ws, refusals };
    ws.destroy();
    refusals++;
    if (Date.now() + 1_500 > deadline) break;
    await sleep(1_500);
  }
  return { refusals };
}

/**
 * A raw connection that completed a real handshake (its own fresh identity unless given).
 * A refusal at admission is retried as in `connectAdmitted`; any other refusal is returned.
 */
export async function openSession(
  ctx: CaseContext,
  extra: Partial<ClientHandshakeOptions> = {},
): Promise<{ ws: WireSocket | undefined; outcome: HandshakeOutcome | undefined; refusals: number }> {
  const { ws, refusals } = await connectAdmitted(ctx);
  if (!ws) return { ws: undefined, outcome: undefined, refusals };
  const outcome = await clientHandshake(ws, { ...handshakeOptions(ctx), ...extra });
  return { ws, outcome, refusals };
}

export function handshakeOptions(ctx: CaseContext): ClientHandshakeOptions {
  return {
    networkId: ctx.o.networkId,
    genesisHash: ctx.o.genesisHash,
    protocolVersion: ctx.o.protocolVersion,
    timeoutMs: Math.max(ctx.o.handshakeDeadlineMs, 2_000),
  };
}

/** An outcome for a case that could not even start (e.g. never admitted). */
export function notAdmitted(what: string, refusals: number): CaseOutcome {
  return {
    reactions: ['refused'],
    detail: `${what}: the node turned away ${refusals} connection(s) before its Hello (admission limit or address ban)`,
    ok: false,
    data: { refusals },
  };
}

/** An outcome for a case whose attack needs a session that could not be opened. */
export function sessionNotOpened(
  s: { ws: WireSocket | undefined; outcome: HandshakeOutcome | undefined },
  purpose = '',
): CaseOutcome {
  s.ws?.destroy();
  return {
    reactions: ['refused'],
    detail: `could not open a session${purpose}: ${s.outcome ? describeRefusal(s.outcome) : 'never admitted'}`,
    ok: false,
    data: {},
  };
}

/**
 * The honest probe drops its session and redials while the attack is still pending, then
 * times its first request (a sample of the case's window). `attackEndedAt` (epoch ms, e.g.
 * when the node closed the attack's sockets) tells whether that answer waited for the attack.
 */
export async function reconnectHonest(ctx: CaseContext) {
  return ctx.honest.reconnect({
    retryMs: ctx.o.admissionRetryMs,
    firstTimeoutMs: ctx.o.handshakeDeadlineMs * 2 + ctx.o.probe.timeoutMs,
  });
}

/** One line about the honest reconnect, relative to when the attack's pending sockets ended. */
export function describeReconnect(
  r: Awaited<ReturnType<typeof reconnectHonest>>,
  attackEndedAt: number | undefined,
): { text: string; waitedForAttack: boolean } {
  if (!r.ok) return { text: `honest reconnect failed (${r.error})`, waitedForAttack: false };
  const waited = attackEndedAt !== undefined && r.answeredAt >= attackEndedAt - 10;
  return {
    text:
      `honest reconnect during the attack: session in ${r.dialMs} ms, first answer after ${r.firstAnswerMs} ms` +
      (waited ? ' (held back until the node closed the attack sockets)' : ''),
    waitedForAttack: waited,
  };
}
