import {
  DEFAULT_LIMITS,
  type DecodedFrame,
  encodeBlock,
  FrameDecoder,
  type KnownFrame,
  message,
  u64,
} from '@tc/wire';
import { describe, expect, it } from 'vitest';
import { ERROR_REPLY_CODES, HandlerError } from '../../src/errors.js';
import { type RateVerdict, ResponseDispatcher } from '../../src/response/dispatcher.js';
import type { Session } from '../../src/session.js';

// The dispatcher on a stub session whose writes are decoded back; no sockets, no timers.
function harness(opts: { verdict?: RateVerdict; maxInflight?: number } = {}) {
  const replies: DecodedFrame[] = [];
  const penalties: string[] = [];
  const decoder = new FrameDecoder();
  const take = (frame: Uint8Array) => {
    for (const f of decoder.push(frame)) replies.push(f);
    return true;
  };
  const lifetime = new AbortController();
  const session = {
    peerId: 'peer',
    open: true,
    inboundInflight: 0,
    connection: { tryWrite: take, writeControl: take },
    write: async (frame: Uint8Array) => void take(frame),
  } as unknown as Session;
  const dispatcher = new ResponseDispatcher({
    wireLimits: DEFAULT_LIMITS,
    maxInflightInbound: opts.maxInflight ?? 64,
    rateCheck: () => opts.verdict ?? 'allow',
    penalize: (_s, code) => penalties.push(code),
    rateLimited: () => undefined,
    signalOf: () => lifetime.signal,
  });
  const request = (kind: string, body: object, id: number) =>
    dispatcher.dispatch(session, {
      ...message(kind as 'ping', body as never, id),
      requestId: id,
    } as never as KnownFrame & { kind: 'ping' });
  const settle = () => new Promise((r) => setImmediate(r));
  return { dispatcher, session, replies, penalties, request, settle };
}

const errorCode = (f: DecodedFrame | undefined) => (f?.kind === 'error' ? f.body.code : undefined);

describe('ResponseDispatcher (stub session)', () => {
  it('answers with the handler value under the request id; a thrown HandlerError becomes its code, anything else INTERNAL', async () => {
    const h = harness();
    h.dispatcher.handle('getChainTip', () => ({ height: u64(5), hash: new Uint8Array(32) }));
    h.dispatcher.handle('getBlockHash', () => {
      throw new HandlerError('NOT_FOUND', 'no such height');
    });
    h.dispatcher.handle('getPendingTxs', async () => {
      throw new Error('a bug');
    });
    h.request('getChainTip', {}, 3);
    h.request('getBlockHash', { height: u64(9) }, 4);
    h.request('getPendingTxs', {}, 5);
    await h.settle();
    expect(h.replies.map((f) => `${f.kind}#${f.requestId}`)).toEqual(['chainTip#3', 'error#4', 'error#5']);
    expect(errorCode(h.replies[1])).toBe(ERROR_REPLY_CODES.NOT_FOUND);
    expect(errorCode(h.replies[2])).toBe(ERROR_REPLY_CODES.INTERNAL);
    expect(h.session.inboundInflight).toBe(0);
  });

  it('no handler: UNSUPPORTED; over the rate: RATE_LIMITED with back-pressure; at the in-flight bound: BUSY', () => {
    const h = harness();
    h.request('getTxs', { txids: [] }, 1);
    expect(errorCode(h.replies[0])).toBe(ERROR_REPLY_CODES.UNSUPPORTED);
    const limited = harness({ verdict: 'limit' });
    limited.request('ping', {}, 2);
    expect(errorCode(limited.replies[0])).toBe(ERROR_REPLY_CODES.RATE_LIMITED);
    expect(limited.penalties).toEqual(['RATE_LIMITED']);
    const busy = harness({ maxInflight: 0 });
    busy.dispatcher.handle('ping', (body) => body);
    busy.request('ping', {}, 3);
    expect(errorCode(busy.replies[0])).toBe(ERROR_REPLY_CODES.BUSY);
    expect(busy.penalties).toEqual(['INBOUND_REQUEST_LIMIT']);
  });

  it('streams chunks then the end marker, never more blocks than asked, and a cancel stops it unanswered', async () => {
    const h = harness();
    let pulled = 0;
    h.dispatcher.handle('getBlockRange', function* (body) {
      for (let i = 0; i < body.count + 5; i++) {
        pulled++;
        yield { blocks: [encodeBlock({ header: { height: u64(i) } })] };
      }
    });
    h.request('getBlockRange', { startHeight: u64(0), count: 3 }, 7);
    await h.settle();
    expect(h.replies.map((f) => f.kind)).toEqual([
      'blockRangeChunk',
      'blockRangeChunk',
      'blockRangeChunk',
      'blockRangeEnd',
    ]);
    expect(pulled).toBeLessThanOrEqual(4); // stopped at the count, not at the handler's end

    const c = harness();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    c.dispatcher.handle('getBlockRange', async function* () {
      yield { blocks: [encodeBlock({ header: { height: u64(0) } })] };
      await gate;
      yield { blocks: [encodeBlock({ header: { height: u64(1) } })] };
    });
    c.request('getBlockRange', { startHeight: u64(0), count: 10 }, 8);
    await c.settle();
    c.dispatcher.cancel(c.session, 8);
    release();
    await c.settle();
    await c.settle();
    expect(c.replies.map((f) => f.kind)).toEqual(['blockRangeChunk']); // no more chunks, no end marker
  });
});
