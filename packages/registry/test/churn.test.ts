import { Registry as MetricsRegistry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { AddressBook } from '../src/address-book.js';
import { Discovery } from '../src/discovery.js';
import { silentLogger } from '../src/internal.js';
import { addr, settled, startNode, stopAll, waitFor } from './helpers.js';

afterEach(stopAll);

async function received(metrics: MetricsRegistry, kind: string): Promise<number> {
  const text = await metrics.getSingleMetricAsString('tc_registry_messages_total');
  const m = text.match(new RegExp(`direction="in",kind="${kind}"} (\\d+)`));
  return Number(m?.[1] ?? 0);
}

describe('churn never turns honest peers against each other', () => {
  it('a peer connecting and leaving 4×/s sets off no discovery storm, no penalty and no ban', async () => {
    const metrics = [0, 1, 2].map(() => new MetricsRegistry());
    // Honest nodes below their outbound target, with discovery on and the default quotas.
    const honest = await Promise.all(
      metrics.map((m) =>
        startNode({
          discovery: true,
          metricsRegistry: m,
          limits: { outboundTarget: 8, discoveryMinIntervalMs: 5_000 },
        }),
      ),
    );
    const [a, b, c] = honest as [(typeof honest)[0], (typeof honest)[0], (typeof honest)[0]];
    await a.dial(addr(b));
    await a.dial(addr(c));
    await b.dial(addr(c));
    await waitFor(() => honest.every((r) => r.peers().length === 2), 10_000, 'mesh');
    const churner = await startNode();
    const started = Date.now();
    // 24 cycles at 4 per second: connect to every honest node, then leave (bounded count and time).
    for (let i = 0; i < 24 && Date.now() - started < 30_000; i++) {
      const infos = await Promise.allSettled(honest.map((r) => churner.dial(addr(r))));
      await new Promise((r) => setTimeout(r, 125));
      for (const info of infos) if (info.status === 'fulfilled') churner.disconnect(info.value.id);
      await new Promise((r) => setTimeout(r, 125));
    }
    const elapsedS = (Date.now() - started) / 1000;
    // Every churn session is over and nothing is left to decide: any penalty is in by now.
    await waitFor(
      () => honest.every((r) => r.peer(churner.nodeId) === undefined && settled(r)),
      10_000,
      'the churner gone from every honest node',
    );
    for (const r of honest) {
      expect(r.bans()).toEqual([]);
      for (const other of honest)
        if (other !== r) {
          expect(r.peer(other.nodeId), 'still connected').toBeDefined();
          expect(r.score(other.nodeId)).toBeGreaterThanOrEqual(0);
        }
    }
    // Rounds run on a clock (≥ 5 s apart, 2 peers asked each): a handful of getPeers per node,
    // where session-triggered rounds asked ~2 per churn session.
    const bound = 2 * (Math.ceil(elapsedS / 5) + 2) * 2;
    for (const m of metrics) expect(await received(m, 'getPeers')).toBeLessThanOrEqual(bound);
    for (const m of metrics) {
      const actions = await m.getSingleMetricAsString('tc_registry_peer_actions_total');
      expect(actions).not.toMatch(/action="(score|disconnect|ban)"} [1-9]/);
    }
  });
});

describe('Discovery schedule', () => {
  const book = () => new AddressBook({ maxEntries: 100 });
  const discovery = (env: Partial<ConstructorParameters<typeof Discovery>[0]>) =>
    new Discovery({
      intervalMs: 30_000,
      minIntervalMs: 5_000,
      redialBaseMs: 1_000,
      redialMaxMs: 60_000,
      outboundTarget: 8,
      addressBook: book(),
      logger: silentLogger,
      connectedPeers: () => [],
      outboundCount: () => 0,
      skip: () => false,
      requestPeers: async () => [],
      dial: async () => undefined,
      ...env,
    });

  it('rounds asked for in a burst run once per minimum interval', async () => {
    let now = 0;
    let asked = 0;
    const d = discovery({
      connectedPeers: () => ['p1', 'p2', 'p3'],
      outboundCount: () => 1,
      requestPeers: async () => {
        asked++;
        return [];
      },
      now: () => now,
    });
    for (let i = 0; i < 50; i++) await d.tick();
    expect(d.rounds).toBe(1);
    expect(asked).toBe(2);
    now += 4_999;
    await d.tick();
    expect(d.rounds).toBe(1);
    now += 1;
    await d.tick();
    expect(d.rounds).toBe(2);
  });

  it('an address whose session ended waits a growing backoff before it is dialled again', () => {
    let now = 1_000_000;
    const d = discovery({ random: () => 0.5, now: () => now });
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      d.connected('127.0.0.1:1');
      d.ended('127.0.0.1:1');
      expect(d.backingOff('127.0.0.1:1')).toBe(true);
      let waited = 0;
      while (d.backingOff('127.0.0.1:1') && waited < 120_000) {
        now += 100;
        waited += 100;
      }
      delays.push(waited);
    }
    expect(delays[0]).toBeGreaterThan(0);
    for (let i = 1; i < delays.length; i++) expect(delays[i]!).toBeGreaterThan(delays[i - 1]!);
    // A session that lasted resets the backoff.
    d.connected('127.0.0.1:1');
    now += 60_000;
    d.ended('127.0.0.1:1');
    let waited = 0;
    while (d.backingOff('127.0.0.1:1')) {
      now += 100;
      waited += 100;
    }
    expect(waited).toBeLessThanOrEqual(delays[0]!);
  });
});
