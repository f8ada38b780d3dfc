import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { Handshake } from '../src/handshake/handshake.js';
import type { PeerConnectionRegistry, PeerInfo } from '../src/internal.js';
import { dedupKey, NodeIdentity, preferred } from '../src/internal.js';
import { addr, GENESIS, NETWORK, RawPeer, settled, startNode, stopAll, waitFor } from './helpers.js';

afterAll(stopAll);

interface Tally {
  connects: PeerInfo[];
  disconnects: Array<{ reason: string; generation: number }>;
}

function track(r: PeerConnectionRegistry): Tally {
  const t: Tally = { connects: [], disconnects: [] };
  r.on('peer:connect', (info) => t.connects.push(info));
  r.on('peer:disconnect', (e) => t.disconnects.push({ reason: e.reason, generation: e.info.generation }));
  return t;
}

const PAIRS = 8;
const ROUNDS_PER_PAIR = 25; // 200 rounds in all

describe('exactly one connection per peer', () => {
  it('the dedup rule keeps the connection dialled by the lower node id, on both ends', () => {
    const low = { dedupKey: dedupKey('0a', new Uint8Array([9])) };
    const high = { dedupKey: dedupKey('0b', new Uint8Array([0])) };
    expect(preferred(low, high)).toBe(low);
    expect(preferred(high, low)).toBe(low);
    // Same dialer twice: the lower dialer nonce wins, whichever side evaluates it.
    const n1 = { dedupKey: dedupKey('0a', new Uint8Array([1])) };
    const n2 = { dedupKey: dedupKey('0a', new Uint8Array([2])) };
    expect(preferred(n2, n1)).toBe(n1);
  });

  it(`${PAIRS * ROUNDS_PER_PAIR} rounds of simultaneous dial: one session on each side, the same socket`, async () => {
    const pairs = await Promise.all(
      Array.from({ length: PAIRS }, async () => {
        const a = await startNode({ limits: { pingIntervalMs: 0 }, metricsRegistry: new Registry() });
        const b = await startNode({ limits: { pingIntervalMs: 0 }, metricsRegistry: new Registry() });
        return { a, b, ta: track(a), tb: track(b) };
      }),
    );
    let rounds = 0;
    let bothDialled = 0;
    await Promise.all(
      pairs.map(async ({ a, b, ta, tb }) => {
        for (let round = 0; round < ROUNDS_PER_PAIR; round++) {
          const ca = ta.connects.length;
          const cb = tb.connects.length;
          const [ra, rb] = await Promise.allSettled([a.dial(addr(b)), b.dial(addr(a))]);
          // Both dials resolve: to the surviving session, whichever socket it is.
          if (rb.status === 'rejected') console.log('rb', rb.reason, rb.reason?.cause);
          if (ra.status === 'rejected') console.log('ra', ra.reason, ra.reason?.cause);
          expect(rb.status).toBe('fulfilled');
          expect(ra.status).toBe('fulfilled');
          await waitFor(() => a.peers().length === 1 && b.peers().length === 1, 5_000, 'one session each');
          const pa = a.peers()[0]!;
          const pb = b.peers()[0]!;
          expect(pa.id).toBe(b.nodeId);
          expect(pb.id).toBe(a.nodeId);
          // The same TCP connection on both ends: one side dialled it, the other accepted it.
          expect(pa.direction === 'outbound').toBe(pb.direction === 'inbound');
          // When both sockets reached the handshake, the lower node id's dial survived.
          if (ta.connects.length - ca === 1 && tb.connects.length - cb === 1) {
            const lowerIsA = a.nodeId < b.nodeId;
            if (pa.direction === (lowerIsA ? 'outbound' : 'inbound')) bothDialled++;
          }
          // "Connected" once per session; the live session is the last one reported.
          expect(ta.connects.at(-1)!.generation).toBe(pa.generation);
          expect(tb.connects.at(-1)!.generation).toBe(pb.generation);
          expect(ta.connects.length - ta.disconnects.length).toBe(1);
          expect(tb.connects.length - tb.disconnects.length).toBe(1);
          // Once every loser is decided and closed, check it never disturbed the survivor.
          await waitFor(() => settled(a) && settled(b), 5_000, 'no connection left to decide');
          expect(a.peer(b.nodeId)?.generation).toBe(pa.generation);
          expect(b.peer(a.nodeId)?.generation).toBe(pb.generation);
          a.disconnect(b.nodeId);
          await waitFor(() => a.peers().length === 0 && b.peers().length === 0, 5_000, 'both disconnected');
          rounds++;
        }
      }),
    );
    expect(rounds).toBe(PAIRS * ROUNDS_PER_PAIR);
    for (const { ta, tb } of pairs) {
      const gens = new Set([...ta.connects, ...tb.connects].map((c) => `${c.id}:${c.generation}`));
      expect(gens.size).toBe(ta.connects.length + tb.connects.length); // never twice for one session
    }
    let duplicates = 0;
    let flaps = 0;
    for (const { a, b, ta, tb } of pairs) {
      for (const r of [a, b]) {
        // A loser is refused during its handshake (its ack held by the side whose own dial
        // wins), or, if it completed first, closed as a duplicate session.
        const closed = await r.metrics!.disconnects.get();
        duplicates += closed.values.find((v) => v.labels.reason === 'duplicate')?.value ?? 0;
        const refused = await r.metrics!.handshakeFailures.get();
        duplicates += refused.values.find((v) => v.labels.reason === 'DUPLICATE')?.value ?? 0;
      }
      flaps += ta.disconnects.filter((d) => d.reason === 'duplicate').length;
      flaps += tb.disconnects.filter((d) => d.reason === 'duplicate').length;
    }
    // The race was real: duplicate connections were refused or closed.
    expect(duplicates).toBeGreaterThan(0);
    expect(bothDialled).toBeGreaterThan(0);
    // The loser was never reported connected: "peer:connect" came only after the decision.
    // A session reported connected always reports its end ("peer:disconnect" with the reason it
    // was closed for), so no reported generation may ever end as "duplicate".
    expect(flaps).toBe(0);
    for (const { ta, tb } of pairs) {
      for (const t of [ta, tb]) {
        const reported = new Set(t.connects.map((c) => c.generation));
        const endedAsDuplicate = t.disconnects
          .filter((d) => d.reason === 'duplicate')
          .map((d) => d.generation);
        expect(endedAsDuplicate.filter((g) => reported.has(g))).toEqual([]);
        // Every reported session ended for the test's own disconnect, never for the rule.
        expect(t.disconnects.every((d) => d.reason === 'requested' || d.reason === 'remote:requested')).toBe(
          true,
        );
      }
    }
  }, 60_000);

  it('a later second connection is decided by the same rule; the old session never touches the new', async () => {
    // Listening on 0.0.0.0 makes 127.0.0.2 a second address of the same peer.
    const a = await startNode({ listen: { host: '0.0.0.0', port: 0 }, limits: { pingIntervalMs: 0 } });
    const b = await startNode({ limits: { pingIntervalMs: 0 } });
    const ta = track(a);
    const tb = track(b);
    const port = a.address()!.port;
    await b.dial(`127.0.0.1:${port}`);
    await waitFor(() => a.peers().length === 1);
    const first = b.peer(a.nodeId)!;
    const second = await b.dial(`127.0.0.2:${port}`); // same dialer (b), a new connection
    // Same dialer twice: the lower dialer nonce wins; either way exactly one session survives.
    await waitFor(() => a.peers().length === 1 && b.peers().length === 1);
    await waitFor(() => settled(a) && settled(b), 5_000, 'no connection left to decide');
    const live = b.peer(a.nodeId)!;
    expect(live.generation).toBe(second.generation);
    expect(a.peers().length).toBe(1);
    if (live.generation !== first.generation) {
      // Replaced: the old one was reported gone as a duplicate, once, before the new one came.
      expect(tb.disconnects.map((d) => d.reason)).toEqual(['duplicate']);
      expect(tb.disconnects[0]!.generation).toBe(first.generation);
      expect(tb.connects.map((c) => c.generation)).toEqual([first.generation, live.generation]);
    } else {
      expect(tb.disconnects).toEqual([]);
      expect(tb.connects.length).toBe(1);
    }
    expect(ta.connects.length - ta.disconnects.length).toBe(1);
    // The survivor works.
    const tip = await b.request(a.nodeId, { kind: 'getChainTip', body: {} });
    expect(tip.height.toString()).toBe('0');
  });

  it('nothing unproven delays a proven session: a claimed key, a silent socket from the same IP', async () => {
    const target = await startNode({ limits: { handshakeTimeoutMs: 2_000 } });
    const port = target.address()!.port;
    const ownerIdentity = NodeIdentity.generate();
    // A Hello claiming the owner's public key, never acknowledged.
    const claim = await RawPeer.connect(port);
    const forged = Object.create(NodeIdentity.generate()) as NodeIdentity;
    Object.defineProperty(forged, 'publicKey', { value: ownerIdentity.publicKey });
    const hs = new Handshake({
      identity: forged,
      networkId: NETWORK,
      genesisHash: GENESIS,
      protocolVersion: 1,
      minProtocolVersion: 1,
      agent: 'claim',
      listenPort: () => 0,
      getLocalTip: () => ({ height: 0, hash: new Uint8Array(0) }),
      isBanned: () => false,
    });
    claim.send(hs.hello());
    await waitFor(() => claim.frames.some((f) => f.kind === 'helloAck'));
    // A silent socket from the same IP.
    const silent = await RawPeer.connect(port);
    const owner = await startNode({ identity: ownerIdentity, listen: false });
    const info = await owner.dial(addr(target));
    // Answered well inside the 2 s deadline of the pending attempts.
    const tip = await owner.request(info.id, { kind: 'getChainTip', body: {} }, { timeoutMs: 1_000 });
    expect(tip.height.toString()).toBe('0');
    expect(claim.closed || silent.closed).toBe(false);
    claim.destroy();
    silent.destroy();
  });

  it('a 10-node full mesh dialled from every side at once settles on one connection per pair', async () => {
    const nodes = await Promise.all(
      Array.from({ length: 10 }, () => startNode({ limits: { pingIntervalMs: 0 } })),
    );
    const tallies = nodes.map(track);
    const dials: Promise<unknown>[] = [];
    for (const a of nodes) for (const b of nodes) if (a !== b) dials.push(a.dial(addr(b)));
    const results = await Promise.allSettled(dials);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    await waitFor(() => nodes.every((n) => n.peers().length === 9), 10_000, 'full mesh');
    await waitFor(() => nodes.every(settled), 10_000, 'no connection left to decide');
    for (const a of nodes) {
      expect(a.peers().length).toBe(9);
      for (const info of a.peers()) {
        const b = nodes.find((n) => n.nodeId === info.id)!;
        const back = b.peer(a.nodeId)!;
        expect(info.direction === 'outbound').toBe(back.direction === 'inbound');
      }
    }
    // Every node reported each peer once, and never a loser.
    for (const t of tallies) {
      expect(t.connects.length).toBe(9);
      expect(t.disconnects).toEqual([]);
    }
  });

  it('a restarted peer is not refused by the dead session it left: the live one is probed first', async () => {
    const a = await startNode({ limits: { pingIntervalMs: 0 } });
    const reasons: string[] = [];
    a.on('peer:disconnect', (e) => reasons.push(e.reason));
    const identity = NodeIdentity.generate();
    // The old session: dialled by the peer with the lowest possible nonce, so the rule prefers it.
    const old = await RawPeer.connect(a.address()!.port);
    await old.handshake({ identity, nonce: new Uint8Array(32) });
    await waitFor(() => a.peer(identity.nodeId));
    const oldGeneration = a.peer(identity.nodeId)!.generation;
    old.socket.pause(); // the peer "crashed": no FIN, no answers
    const restarted = await startNode({ identity, listen: false });
    await restarted.dial(addr(a));
    // Answered once the probe of the dead session failed (≤ 2 s), not after the ping timeout.
    const tip = await restarted.request(a.nodeId, { kind: 'getChainTip', body: {} }, { timeoutMs: 5_000 });
    expect(tip.height.toString()).toBe('0');
    expect(a.peer(identity.nodeId)!.generation).toBeGreaterThan(oldGeneration);
    expect(reasons).toEqual(['ping-timeout']);
    old.destroy();
  });

  it('a later connection the rule refuses is closed once the live session answers the probe', async () => {
    const a = await startNode({ limits: { pingIntervalMs: 0 } });
    const identity = NodeIdentity.generate();
    const old = await RawPeer.connect(a.address()!.port);
    await old.handshake({ identity, nonce: new Uint8Array(32) });
    await waitFor(() => a.peer(identity.nodeId));
    const oldGeneration = a.peer(identity.nodeId)!.generation;
    old.answerPings();
    const second = await startNode({ identity, listen: false, limits: { pingIntervalMs: 0 } });
    await second.dial(addr(a)).catch(() => undefined);
    await waitFor(() => second.peers().length === 0, 5_000, 'the refused connection closed');
    expect(a.peer(identity.nodeId)!.generation).toBe(oldGeneration);
    old.destroy();
  });
});
