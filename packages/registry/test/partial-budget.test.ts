import { encodeFrame, message } from '@tc/wire';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { PeerConnectionRegistry } from '../src/internal.js';
import { RawPeer, startNode, stopAll, waitFor } from './helpers.js';

afterEach(stopAll);

const KiB = 1024;

/** A blockAnnounce of about `bytes` (a gossip kind: no request of ours is needed to send it). */
function bigAnnounce(bytes: number): Uint8Array {
  return encodeFrame(
    message('blockAnnounce', {
      block: new Uint8Array(bytes),
    }),
  );
}

async function bytesIn(r: PeerConnectionRegistry): Promise<number> {
  const m = await r.metrics!.bytes.get();
  return m.values.find((v) => v.labels.direction === 'in')?.value ?? 0;
}

describe('unfinished unsolicited frames share one budget (limits.maxPartialFrameBytes)', () => {
  it('over the budget, the peer whose frame has been in progress longest is dropped, without a score', async () => {
    const a = await startNode({
      metricsRegistry: new Registry(),
      limits: { maxPartialFrameBytes: 1024 * KiB },
    });
    const reasons: Array<[string, string]> = [];
    a.on('peer:disconnect', (e) => reasons.push([e.peerId, e.reason]));
    const first = await RawPeer.connect(a.address()!.port);
    const firstId = await first.handshake();
    const second = await RawPeer.connect(a.address()!.port);
    const secondId = await second.handshake();
    await waitFor(() => a.peer(firstId.nodeId) && a.peer(secondId.nodeId));
    const frame = bigAnnounce(700 * KiB);
    const before = await bytesIn(a);
    first.writeRaw(frame.subarray(0, frame.length - 1)); // its end withheld: 700 KiB pinned
    const target = before + frame.length - 1;
    for (let i = 0; i < 1_000 && (await bytesIn(a)) < target; i++) await new Promise((r) => setTimeout(r, 5));
    expect(await bytesIn(a)).toBeGreaterThanOrEqual(target);
    expect(reasons).toEqual([]); // under the budget: kept
    second.writeRaw(frame.subarray(0, frame.length - 1)); // 1.4 MiB together: over
    await waitFor(() => reasons.length > 0, 5_000, 'a peer dropped');
    expect(reasons).toEqual([[firstId.nodeId, 'too-slow']]);
    expect(a.score(firstId.nodeId)).toBe(0);
    expect(a.peer(secondId.nodeId)).toBeDefined();
    first.destroy();
    second.destroy();
  });
});
