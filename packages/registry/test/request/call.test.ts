import { type KnownFrame, message } from '@tc/wire';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ERROR_REPLY_CODES,
  RateLimitedError,
  RemoteError,
  RequestAbortedError,
  RequestTimeoutError,
} from '../../src/errors.js';
import { Call, type CallOwner } from '../../src/request/call.js';

// One Call against a stub owner, on fake timers.
function owner(where: 'inflight' | 'waiting' | undefined = 'inflight') {
  const ended: { outcome: string; charged: boolean }[] = [];
  const stub: CallOwner = {
    peerId: 'peer',
    release: () => where,
    callDone: (_call, outcome, charged) => ended.push({ outcome, charged }),
  };
  return { stub, ended };
}

const frame = (kind: string, body: object) =>
  ({ ...message(kind as 'pong', body as never, 1), requestId: 1 }) as unknown as KnownFrame;

afterEach(() => {
  vi.useRealTimers();
});

describe('Call', () => {
  it('times out on its own timer, charged only when the peer had it', async () => {
    vi.useFakeTimers();
    for (const where of ['inflight', 'waiting'] as const) {
      const o = owner(where);
      const call = new Call(o.stub, 'ping', {}, 'pong', 200, undefined, true);
      const failed = expect(call.promise).rejects.toBeInstanceOf(RequestTimeoutError);
      await vi.advanceTimersByTimeAsync(199);
      expect(o.ended).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      await failed;
      expect(o.ended).toEqual([{ outcome: 'timeout', charged: where === 'inflight' }]);
    }
  });

  it('an abort rejects at once; an answer after the end changes nothing', async () => {
    vi.useFakeTimers();
    const o = owner();
    const controller = new AbortController();
    const call = new Call(o.stub, 'ping', {}, 'pong', 10_000, controller.signal, true);
    controller.abort('stop');
    await expect(call.promise).rejects.toBeInstanceOf(RequestAbortedError);
    expect(o.ended).toEqual([{ outcome: 'aborted', charged: false }]);
    await vi.advanceTimersByTimeAsync(10_000); // its timer was cleared: no second end
    expect(o.ended).toHaveLength(1);
  });

  it('maps replies: a body, RATE_LIMITED and BUSY to RateLimitedError, any other code to RemoteError', async () => {
    const ok = owner();
    const body = new Call(ok.stub, 'ping', {}, 'pong', 1_000, undefined, true);
    body.settle(frame('pong', { nonce: 1 }));
    expect(String(((await body.promise) as { nonce: unknown }).nonce)).toBe('1');
    expect(ok.ended).toEqual([{ outcome: 'ok', charged: false }]);
    for (const [code, type, outcome] of [
      [ERROR_REPLY_CODES.RATE_LIMITED, RateLimitedError, 'rate_limited'],
      [ERROR_REPLY_CODES.BUSY, RateLimitedError, 'rate_limited'],
      [ERROR_REPLY_CODES.NOT_FOUND, RemoteError, 'remote_error'],
    ] as const) {
      const o = owner();
      const call = new Call(o.stub, 'ping', {}, 'pong', 1_000, undefined, true);
      call.settle(frame('error', { code, message: 'no' }));
      await expect(call.promise).rejects.toBeInstanceOf(type);
      expect(o.ended).toEqual([{ outcome, charged: false }]);
    }
  });
});
