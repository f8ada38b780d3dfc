import { decodeBlock, encodeBlock, u64, u64ToNumber } from '@tc/wire';
import { afterEach, describe, expect, it } from 'vitest';
import { HandlerError, PeerDisconnectedError, RemoteError, RequestAbortedError } from '../src/internal.js';
import { addr, startNode, stopAll, waitFor } from './helpers.js';

afterEach(stopAll);

const QUOTAS = { getBlockRange: { ratePerSec: 1e6, burst: 1e6 } };

/** An encoded block carrying only its height (and padding): chunks carry blocks as bytes. */
function block(height: number, padBytes = 0): Uint8Array {
  return encodeBlock({ header: { height: u64(height) }, producerSignature: new Uint8Array(padBytes) });
}

const heightOf = (bytes: Uint8Array): number => u64ToNumber(decodeBlock(bytes).header!.height!);

describe('stream (getBlockRange)', () => {
  it('yields every chunk in order and ends at the end marker, with a slow consumer', async () => {
    const a = await startNode({ rateQuotas: QUOTAS });
    const b = await startNode({ limits: { streamBufferChunks: 4 } });
    a.handle('getBlockRange', function* (body) {
      const start = body.startHeight.toNumber();
      for (let h = start; h < start + body.count; h++) yield { blocks: [block(h)] };
    });
    await b.dial(addr(a));
    const heights: number[] = [];
    for await (const chunk of b.stream(a.nodeId, {
      kind: 'getBlockRange',
      body: { startHeight: u64(10), count: 50 },
    })) {
      heights.push(heightOf(chunk.blocks![0]!));
      if (heights.length % 10 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    expect(heights).toEqual(Array.from({ length: 50 }, (_, i) => 10 + i));
  });

  it('backpressure: a consumer that stops reading stops the producer (bounded buffers)', async () => {
    const TOTAL = 400; // × 64 KiB = 25 MiB, beyond what loopback socket buffers can absorb
    const a = await startNode({
      rateQuotas: QUOTAS,
      limits: { maxQueuedBytesPerPeer: 256 * 1024, sendDrainTimeoutMs: 10_000 },
    });
    const b = await startNode({ limits: { streamBufferChunks: 4, pingIntervalMs: 0 } });
    let produced = 0;
    a.handle('getBlockRange', async function* (body) {
      for (let i = 0; i < body.count; i++) {
        produced++;
        yield { blocks: [block(i, 64 * 1024)] };
      }
    });
    await b.dial(addr(a));
    const it = b.stream(a.nodeId, { kind: 'getBlockRange', body: { startHeight: u64(0), count: TOTAL } });
    const first = await it.next();
    expect(first.done).toBe(false);
    // Consumer idle: production stalls well short of the total.
    await waitFor(() => produced > 8, 5_000, 'some production');
    let stable = -1;
    for (let i = 0; i < 100 && stable !== produced; i++) {
      stable = produced;
      await new Promise((r) => setTimeout(r, 30));
    }
    expect(produced).toBeLessThan(TOTAL);
    let count = 1;
    for await (const _ of it) count++;
    expect(count).toBe(TOTAL);
    expect(produced).toBe(TOTAL);
  });

  it('breaking out cancels the request and the connection keeps working', async () => {
    const a = await startNode({ rateQuotas: QUOTAS });
    const b = await startNode({ limits: { streamBufferChunks: 2 } });
    a.handle('getBlockRange', function* (body) {
      for (let h = 0; h < body.count; h++) yield { blocks: [block(h)] };
    });
    await b.dial(addr(a));
    let seen = 0;
    for await (const _ of b.stream(a.nodeId, {
      kind: 'getBlockRange',
      body: { startHeight: u64(0), count: 1000 },
    })) {
      if (++seen === 3) break;
    }
    expect(seen).toBe(3);
    const tip = await b.request(a.nodeId, { kind: 'getChainTip', body: {} });
    expect(tip.height.toString()).toBe('0');
    expect(b.peers().length).toBe(1);
  });

  it('a stream given up is cancelled on the wire: the responder stops producing and its handler sees the abort', async () => {
    const TOTAL = 400;
    const a = await startNode({
      rateQuotas: QUOTAS,
      limits: { maxQueuedBytesPerPeer: 256 * 1024, sendDrainTimeoutMs: 10_000 },
    });
    const b = await startNode({ limits: { streamBufferChunks: 2, pingIntervalMs: 0 } });
    let produced = 0;
    let aborted = false;
    a.handle('getBlockRange', async function* (body, ctx) {
      ctx.signal.addEventListener('abort', () => {
        aborted = true;
      });
      for (let i = 0; i < body.count; i++) {
        produced++;
        yield { blocks: [block(i, 64 * 1024)] };
      }
    });
    await b.dial(addr(a));
    let seen = 0;
    for await (const _ of b.stream(a.nodeId, {
      kind: 'getBlockRange',
      body: { startHeight: u64(0), count: TOTAL },
    })) {
      if (++seen === 2) break;
    }
    await waitFor(() => aborted, 5_000, 'the handler sees the cancel');
    // Production stops where the cancel found it; without the cancel it resumed as b read on.
    const stopped = produced;
    await b.request(a.nodeId, { kind: 'getChainTip', body: {} }); // the connection keeps working
    for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 10));
    expect(produced).toBe(stopped);
    expect(produced).toBeLessThan(TOTAL);
    expect(a.peers().length).toBe(1);
    expect(a.score(b.nodeId)).toBe(0);
  });

  it('an error mid-stream ends the iteration with a RemoteError after the chunks before it', async () => {
    const a = await startNode({ rateQuotas: QUOTAS });
    const b = await startNode();
    a.handle('getBlockRange', function* () {
      yield { blocks: [block(1)] };
      yield { blocks: [block(2)] };
      throw new HandlerError('NOT_FOUND', 'block 3 is missing');
    });
    await b.dial(addr(a));
    const heights: number[] = [];
    const error = await (async () => {
      for await (const chunk of b.stream(a.nodeId, {
        kind: 'getBlockRange',
        body: { startHeight: u64(1), count: 3 },
      })) {
        heights.push(heightOf(chunk.blocks![0]!));
      }
    })().catch((e: unknown) => e);
    expect(heights).toEqual([1, 2]);
    expect(error).toBeInstanceOf(RemoteError);
    expect((error as RemoteError).replyName).toBe('NOT_FOUND');
  });

  it('a disconnect mid-stream throws PeerDisconnectedError; an abort throws RequestAbortedError', async () => {
    const a = await startNode({ rateQuotas: QUOTAS });
    const b = await startNode();
    a.handle('getBlockRange', async function* () {
      yield { blocks: [block(1)] };
      await new Promise(() => {}); // never ends on its own
    });
    await b.dial(addr(a));
    const controller = new AbortController();
    const aborted = b.stream(
      a.nodeId,
      { kind: 'getBlockRange', body: { startHeight: u64(1), count: 9 } },
      { signal: controller.signal },
    );
    expect((await aborted.next()).done).toBe(false);
    controller.abort();
    await expect(aborted.next()).rejects.toBeInstanceOf(RequestAbortedError);

    const cut = b.stream(a.nodeId, { kind: 'getBlockRange', body: { startHeight: u64(1), count: 9 } });
    expect((await cut.next()).done).toBe(false);
    a.disconnect(b.nodeId);
    await expect(cut.next()).rejects.toBeInstanceOf(PeerDisconnectedError);
  });
});
