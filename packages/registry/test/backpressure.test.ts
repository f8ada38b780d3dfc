import { u64 } from '@tc/wire';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_REGISTRY_LIMITS,
  type PeerConnectionRegistry,
  RequestTimeoutError,
} from '../src/internal.js';
import { addr, startNode, stopAll } from './helpers.js';

afterEach(stopAll);

// Rate limiting is a separate bound (its own tests): lifted here so only the in-flight bounds act.
const FAST = { getBlockHash: { ratePerSec: 1e6, burst: 1e6 } };

/** An asynchronous getBlockHash handler, so each request counts as in flight while it runs. */
function asyncEcho(r: PeerConnectionRegistry, gate?: Promise<void>): void {
  r.handle('getBlockHash', async (body) => {
    await (gate ?? new Promise((resolve) => setImmediate(resolve)));
    return { height: body.height, hash: Buffer.from(String(body.height.toNumber())) };
  });
}

async function counter(r: PeerConnectionRegistry, code: string): Promise<number> {
  const actions = await r.metrics!.peerActions.get();
  return actions.values.filter((v) => v.labels.code === code).reduce((sum, v) => sum + v.value, 0);
}

describe('in-flight bounds are consistent, and BUSY is back-pressure', () => {
  it('the default outbound in-flight bound does not exceed the default inbound one', () => {
    expect(DEFAULT_REGISTRY_LIMITS.maxInflightOutboundPerPeer).toBeLessThanOrEqual(
      DEFAULT_REGISTRY_LIMITS.maxInflightInboundPerPeer,
    );
  });

  it('two default registries: 1,000 concurrent requests all succeed, no BUSY, no score change, no disconnect', async () => {
    const a = await startNode({ rateQuotas: FAST, metricsRegistry: new Registry() });
    const b = await startNode({ rateQuotas: FAST, metricsRegistry: new Registry() });
    asyncEcho(a);
    const drops: string[] = [];
    a.on('peer:disconnect', (e) => drops.push(e.reason));
    b.on('peer:disconnect', (e) => drops.push(e.reason));
    await b.dial(addr(a));
    const answers = await Promise.all(
      Array.from({ length: 1_000 }, (_, i) =>
        b.request(a.nodeId, { kind: 'getBlockHash', body: { height: u64(i) } }),
      ),
    );
    expect(answers.map((x) => Buffer.from(x.hash).toString())).toEqual(
      Array.from({ length: 1_000 }, (_, i) => String(i)),
    );
    expect(await counter(a, 'INBOUND_REQUEST_LIMIT')).toBe(0);
    expect(a.score(b.nodeId)).toBe(0);
    expect(b.score(a.nodeId)).toBe(0);
    expect(drops).toEqual([]);
    expect(a.peer(b.nodeId)).toBeDefined();
  });

  it('a requester over the peer’s inbound bound gets BUSY, backs off and resends: all succeed, no one charged', async () => {
    const a = await startNode({
      rateQuotas: FAST,
      metricsRegistry: new Registry(),
      limits: { maxInflightInboundPerPeer: 8 },
    });
    const b = await startNode({ rateQuotas: FAST, limits: { maxInflightOutboundPerPeer: 256 } });
    asyncEcho(a);
    const drops: string[] = [];
    a.on('peer:disconnect', (e) => drops.push(e.reason));
    await b.dial(addr(a));
    const answers = await Promise.all(
      Array.from({ length: 1_000 }, (_, i) =>
        b.request(a.nodeId, { kind: 'getBlockHash', body: { height: u64(i) } }),
      ),
    );
    expect(answers.length).toBe(1_000);
    expect(new Set(answers.map((x) => Buffer.from(x.hash).toString())).size).toBe(1_000);
    expect(await counter(a, 'INBOUND_REQUEST_LIMIT')).toBeGreaterThan(0); // BUSY did happen
    expect(a.score(b.nodeId)).toBe(0);
    expect(b.score(a.nodeId)).toBe(0);
    expect(drops).toEqual([]);
  });

  it('a request that times out while waiting here for a slot is not charged to the peer', async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const a = await startNode({ rateQuotas: FAST });
    const b = await startNode({ rateQuotas: FAST, limits: { maxInflightOutboundPerPeer: 1 } });
    asyncEcho(a, gate);
    await b.dial(addr(a));
    const first = b.request(a.nodeId, { kind: 'getBlockHash', body: { height: u64(1) } });
    const second = b.request(a.nodeId, { kind: 'getBlockHash', body: { height: u64(2) } }, { timeoutMs: 50 });
    await expect(second).rejects.toBeInstanceOf(RequestTimeoutError);
    expect(b.score(a.nodeId)).toBe(0);
    open();
    await first;
  });
});
