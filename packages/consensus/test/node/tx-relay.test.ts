import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_TX_FANOUT, SeenFilter, TxRelay } from '../../src/internal.js';

/** A TxRelay over a fake registry and a fake mempool holding `pendingIds`; counts announcements. */
function harness(peerCount: number) {
  const announced = new Map<string, number>(); // peer → ids announced to it, all messages
  const peers = Array.from({ length: peerCount }, (_, i) => ({ id: `p${i}` }));
  const pendingIds = [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)];
  let now = 0;
  const relay = new TxRelay({
    registry: {
      peers: () => peers,
      send: async (peer: string, msg: { body: { txids: Uint8Array[] } }) => {
        announced.set(peer, (announced.get(peer) ?? 0) + msg.body.txids.length);
      },
      request: async () => ({ txs: [] }),
    } as never,
    mempool: {
      maxCount: 100,
      get count() {
        return pendingIds.length;
      },
      pending: () => pendingIds.map((txid) => ({ txid })),
    } as never,
    admission: {} as never,
    seen: new SeenFilter(1_000),
    windowMs: 25,
    reannounceMs: 10_000,
    maxReannounceMs: 40_000,
    now: () => now,
  });
  const advance = async (ms: number) => {
    for (let t = 0; t < ms; t += 1_000) {
      now += 1_000;
      await vi.advanceTimersByTimeAsync(1_000); // lets each send's promise settle
    }
  };
  return { relay, announced, pendingIds, advance };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('TxRelay re-announcements', () => {
  it('announce once, then again after 10, 20, 40, 40 … s: not every 10 s', async () => {
    vi.useFakeTimers();
    const { relay, announced, pendingIds, advance } = harness(3);
    relay.start();
    relay.announce(pendingIds);
    await advance(1_000);
    expect(announced.get('p0')).toBe(2);
    // 120 s later: re-announced at about 10, 30, 70 and 110 s (waits 10, 20, 40, 40), not 12 times.
    await advance(120_000);
    expect(announced.get('p0')).toBe(2 * (1 + 4));
    relay.stop();
  });

  it('a peer that fetched the transactions from us is never sent them again', async () => {
    vi.useFakeTimers();
    const { relay, announced, pendingIds, advance } = harness(2);
    relay.start();
    relay.announce(pendingIds);
    await advance(1_000);
    relay.servedTo('p1', pendingIds);
    await advance(60_000);
    expect(announced.get('p1')).toBe(2); // the first announcement only
    expect(announced.get('p0')).toBeGreaterThan(2);
    relay.stop();
  });

  it('our own submissions go to every peer; a relayed one to DEFAULT_TX_FANOUT others, then to the rest when re-announced', async () => {
    vi.useFakeTimers();
    const { relay, announced, pendingIds, advance } = harness(20);
    relay.start();
    const total = () => [...announced.values()].reduce((a, b) => a + b, 0);
    relay.announce([pendingIds[0]!]);
    await advance(1_000);
    expect(total()).toBe(20);
    relay.announce([pendingIds[1]!], 'p0');
    await advance(1_000);
    expect(total()).toBe(20 + DEFAULT_TX_FANOUT);
    expect(announced.get('p0')).toBe(1); // never back to the peer it came from
    // Re-announced (each about 10 s after its first announcement) to every peer not known to
    // hold it: those not told of it, and again those told.
    await advance(15_000);
    expect(total()).toBe(20 + DEFAULT_TX_FANOUT + 2 * 20);
    relay.stop();
  });
});
