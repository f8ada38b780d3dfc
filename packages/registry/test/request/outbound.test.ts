import { DEFAULT_LIMITS, FrameDecoder, type KnownFrame, message } from '@tc/wire';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PeerDisconnectedError, RemoteError, RequestTimeoutError } from '../../src/errors.js';
import { Outbound } from '../../src/request/outbound.js';

// Outbound on a stub connection: what it writes is decoded back, time is fake.
function harness(opts: { maxInflight?: number; maxQueued?: number; open?: boolean } = {}) {
  const written: KnownFrame[] = [];
  const bad: string[] = [];
  const done: { kind: string; outcome: string; charged: boolean }[] = [];
  const decoder = new FrameDecoder();
  let open = opts.open ?? true;
  const outbound = new Outbound({
    peerId: 'peer',
    maxInflight: opts.maxInflight ?? 4,
    maxQueued: opts.maxQueued ?? 16,
    wireLimits: DEFAULT_LIMITS,
    isOpen: () => open,
    badResponse: (code) => bad.push(code),
    tipAnswered: () => undefined,
    tryWrite: (frame) => {
      for (const f of decoder.push(frame)) written.push(f as KnownFrame);
      return true;
    },
    write: async () => undefined,
    done: (kind, outcome, _start, charged) => done.push({ kind, outcome, charged }),
  });
  const answer = (req: KnownFrame, kind: 'pong' | 'error', body: object = {}) =>
    outbound.onResponse({
      ...message(kind, body as never, req.requestId),
      requestId: req.requestId,
    } as unknown as KnownFrame);
  return { outbound, written, done, bad, answer, close: () => (open = false) };
}

const ping = () => message('ping', {});

afterEach(() => {
  vi.useRealTimers();
});

describe('Outbound (stub connection, fake timers)', () => {
  it('matches a response by request id, never by order', async () => {
    const h = harness();
    const first = h.outbound.send(ping(), { timeoutMs: 1_000, bodyOnly: true, expect: 'pong' });
    const second = h.outbound.send(ping(), { timeoutMs: 1_000, bodyOnly: true, expect: 'pong' });
    const [a, b] = h.written;
    expect(a!.requestId).not.toBe(b!.requestId);
    h.answer(b!, 'pong', { nonce: 2 });
    h.answer(a!, 'pong', { nonce: 1 });
    expect(String(((await first) as { nonce: unknown }).nonce)).toBe('1');
    expect(String(((await second) as { nonce: unknown }).nonce)).toBe('2');
    expect(h.outbound.inFlight).toBe(0);
  });

  it('a timeout fails only that request, is charged when the peer had it, and its late answer is dropped', async () => {
    vi.useFakeTimers();
    const h = harness();
    const slow = h.outbound.send(ping(), { timeoutMs: 100, expect: 'pong' });
    const other = h.outbound.send(ping(), { timeoutMs: 10_000, expect: 'pong' });
    const failed = expect(slow).rejects.toBeInstanceOf(RequestTimeoutError);
    await vi.advanceTimersByTimeAsync(100);
    await failed;
    expect(h.done).toEqual([{ kind: 'ping', outcome: 'timeout', charged: true }]);
    // The late answer is a cancelled id: taken in from its header, dropped, not a fault.
    expect(h.outbound.acceptsResponse(h.written[0]!.requestId, 'pong')).toBe(true);
    h.answer(h.written[1]!, 'pong');
    await expect(other).resolves.toBeDefined();
  });

  it('beyond the window requests wait here, and a timeout while waiting is never charged', async () => {
    vi.useFakeTimers();
    const h = harness({ maxInflight: 1 });
    const inflight = h.outbound.send(ping(), { timeoutMs: 10_000, expect: 'pong' });
    const waiting = h.outbound.send(ping(), { timeoutMs: 50, expect: 'pong' });
    expect(h.written).toHaveLength(1);
    expect(h.outbound.queued).toBe(1);
    const failed = expect(waiting).rejects.toBeInstanceOf(RequestTimeoutError);
    await vi.advanceTimersByTimeAsync(50);
    await failed;
    expect(h.done).toEqual([{ kind: 'ping', outcome: 'timeout', charged: false }]);
    h.answer(h.written[0]!, 'pong');
    await inflight;
  });

  it('BUSY puts the request back and sends it again with a new id when a slot frees', async () => {
    vi.useFakeTimers();
    const h = harness();
    const call = h.outbound.send(ping(), { timeoutMs: 10_000, expect: 'pong' });
    const firstId = h.written[0]!.requestId;
    h.answer(h.written[0]!, 'error', { code: 6, message: 'busy' });
    expect(h.written).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(10); // none in flight: a short retry delay
    expect(h.written).toHaveLength(2);
    expect(h.written[1]!.requestId).not.toBe(firstId);
    h.answer(h.written[1]!, 'pong');
    await expect(call).resolves.toBeDefined();
  });

  it('a wrong response kind fails the request as INVALID_RESPONSE; failAll rejects every request', async () => {
    const h = harness();
    const call = h.outbound.send(ping(), { timeoutMs: 1_000, expect: 'pong' });
    h.outbound.onResponse({
      ...message('peers', { peers: [] }, h.written[0]!.requestId),
      requestId: h.written[0]!.requestId,
    } as unknown as KnownFrame);
    await expect(call).rejects.toBeInstanceOf(RemoteError);
    expect(h.bad).toEqual(['INVALID_RESPONSE']);
    const pending = [1, 2, 3].map(() => h.outbound.send(ping(), { timeoutMs: 1_000 }));
    h.outbound.failAll('closed');
    for (const p of pending) await expect(p).rejects.toBeInstanceOf(PeerDisconnectedError);
  });
});
