import { type DecodedFrame, message, u64 } from '@tc/wire';
import { describe, expect, it } from 'vitest';
import { type RouterEnv, routeFrame } from '../src/frame-router.js';
import type { Session } from '../src/session.js';

// routeFrame on a stub session and a recording env: every frame lands in exactly one place.
function harness(verdict: 'allow' | 'limit' | 'abuse' = 'allow') {
  const calls: string[] = [];
  const costs: number[] = [];
  const env: RouterEnv = {
    dispatch: (_s, f) => calls.push(`dispatch ${f.kind}#${f.requestId}`),
    rateCheck: (_p, kind, cost) => {
      costs.push(cost);
      calls.push(`rate ${kind}`);
      return verdict;
    },
    rateLimited: (kind) => calls.push(`limited ${kind}`),
    penalize: (_s, code) => calls.push(`penalize ${code}`),
    remoteDisconnect: (_s, reason) => calls.push(`disconnect ${reason}`),
    emitMessage: (m) => calls.push(`message ${m.kind}`),
    countIn: () => undefined,
    unsupported: (_s, id) => calls.push(`unsupported #${id}`),
    cancelInbound: (_s, id) => calls.push(`cancel #${id}`),
  };
  const session = {
    state: 'active',
    peerId: 'p',
    onResponse: (f: DecodedFrame) => calls.push(`response ${f.kind}#${f.requestId}`),
    updateTip: () => calls.push('tip'),
  } as unknown as Session;
  const route = (kind: string, body: object, requestId = 0) =>
    routeFrame(env, session, {
      ...message(kind as 'ping', body as never, requestId),
      requestId,
    } as unknown as DecodedFrame);
  return { calls, costs, route, env, session };
}

describe('routeFrame (stub session)', () => {
  it('requests to the dispatcher, responses to the pending map, gossip to the application at its cost', () => {
    const h = harness();
    h.route('getChainTip', {}, 7);
    h.route('pong', {}, 8);
    h.route('votes', { votes: [{}, {}, {}] });
    h.route('cancel', {}, 9);
    h.route('chainTip', { height: u64(3), hash: new Uint8Array(32) });
    expect(h.calls).toEqual([
      'dispatch getChainTip#7',
      'response pong#8',
      'rate votes',
      'message votes',
      'rate cancel',
      'cancel #9',
      'rate chainTip',
      'tip',
      'message chainTip',
    ]);
    expect(h.costs).toEqual([3, 1, 1]); // votes cost one unit each
  });

  it('a request without an id, a handshake frame after the handshake, and a response to nothing go to the error table', () => {
    const h = harness();
    h.route('getBlockHash', { height: u64(1) }, 0);
    h.route('hello', {});
    h.route('pong', {}, 0);
    expect(h.calls).toEqual([
      'penalize INVALID_REQUEST',
      'penalize UNEXPECTED_RESPONSE',
      'penalize UNEXPECTED_RESPONSE',
    ]);
  });

  it('gossip over its quota is dropped with back-pressure (RATE_LIMITED), far over it is RATE_LIMIT_ABUSE', () => {
    const limited = harness('limit');
    limited.route('blockAnnounce', { block: new Uint8Array(0) });
    expect(limited.calls).toEqual(['rate blockAnnounce', 'limited blockAnnounce', 'penalize RATE_LIMITED']);
    const abusive = harness('abuse');
    abusive.route('txInventory', { txids: [new Uint8Array(32)] });
    expect(abusive.calls.at(-1)).toBe('penalize RATE_LIMIT_ABUSE');
  });

  it('a Disconnect ends the session; a closed or parked session routes nothing', () => {
    const h = harness();
    h.route('disconnect', { reason: 1, message: 'bye' }); // DISCONNECT_REASON_SHUTDOWN
    expect(h.calls).toEqual(['disconnect shutdown']);
    (h.session as { state: string }).state = 'parked';
    h.route('getChainTip', {}, 1);
    expect(h.calls).toHaveLength(1);
  });
});
