import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { type DecodedFrame, encodeFrame, FrameDecoder, pb } from '@tc/wire';
import { afterEach, describe, expect, it } from 'vitest';
import { Handshake } from '../src/handshake/handshake.js';
import { NodeIdentity } from '../src/internal.js';
import { GENESIS, NETWORK, RawPeer, startNode, stopAll, waitFor } from './helpers.js';

afterEach(stopAll);

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** A listening socket that records what connects to it and, optionally, greets it with `hello`. */
async function listener(hello?: Uint8Array): Promise<{ port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((s) => {
    sockets.push(s);
    s.on('error', () => undefined);
    if (hello) s.write(hello);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, sockets };
}

/** Two identities with `low.nodeId < high.nodeId`. */
function ordered(): { low: NodeIdentity; high: NodeIdentity } {
  const a = NodeIdentity.generate();
  const b = NodeIdentity.generate();
  return a.nodeId < b.nodeId ? { low: a, high: b } : { low: b, high: a };
}

function handshakeAs(identity: NodeIdentity, listenPort: number): Handshake {
  return new Handshake({
    identity,
    networkId: NETWORK,
    genesisHash: GENESIS,
    protocolVersion: 1,
    minProtocolVersion: 1,
    agent: 'raw',
    listenPort: () => listenPort,
    getLocalTip: () => ({ height: 0, hash: new Uint8Array(0) }),
    isBanned: () => false,
  });
}

/** A Hello frame presenting `publicKey` (no private key behind it). */
function claimHello(publicKey: Uint8Array): Uint8Array {
  const forged = Object.create(NodeIdentity.generate()) as NodeIdentity;
  Object.defineProperty(forged, 'publicKey', { value: publicKey });
  const hello = handshakeAs(forged, 0).hello() as { body: { nonce: Uint8Array } };
  hello.body.nonce = randomBytes(32);
  return encodeFrame(hello as never);
}

describe('dedup waits are bounded by dedupHoldMs (hostile finding 3)', () => {
  for (const order of ['T<P', 'T>P'] as const) {
    it(`an endpoint we dial that claims peer P's key and stalls delays P by at most dedupHoldMs (${order})`, async () => {
      const { low, high } = ordered();
      const [tId, pId] = order === 'T<P' ? [low, high] : [high, low];
      const holdMs = 300;
      const t = await startNode({
        identity: tId,
        limits: { handshakeTimeoutMs: 4_000, dedupHoldMs: holdMs },
      });
      const p = await startNode({ identity: pId, limits: { handshakeTimeoutMs: 4_000 } });
      const x = await listener(claimHello(pId.publicKey));
      let dialToX = 'pending';
      const toX = t.dial(`127.0.0.1:${x.port}`).then(
        () => (dialToX = 'ok'),
        () => (dialToX = 'failed'),
      );
      // X answered T's Hello with its claim (P's key): T now holds that claim in its handshake.
      await waitFor(
        () => x.sockets.length > 0 && x.sockets[0]!.bytesRead > 0 && x.sockets[0]!.bytesWritten > 0,
        2_000,
        'X sent T its claim',
      );
      const info = await p.dial(`127.0.0.1:${t.address()!.port}`);
      const tip = await p.request(info.id, { kind: 'getChainTip', body: {} }, { timeoutMs: 3_000 });
      expect(tip.height.toString()).toBe('0');
      // Served while T's dial to X is still pending (its deadline is 4 s, the hold 0.3 s).
      expect(dialToX).toBe('pending');
      expect(t.peer(pId.nodeId)?.direction).toBe('inbound');
      for (const s of x.sockets) s.destroy();
      await toX;
    });
  }
});

describe('"connected" is not reported for a loser (the late winning dial)', () => {
  it('a dial to a peer whose inbound handshake we already acknowledged joins that handshake', async () => {
    const { low, high } = ordered();
    const t = await startNode({ identity: low }); // the side whose own dial would win the rule
    const connects: string[] = [];
    const disconnects: string[] = [];
    t.on('peer:connect', (i) => connects.push(`${i.direction}:${i.generation}`));
    t.on('peer:disconnect', (e) => disconnects.push(e.reason));
    const pListener = await listener(); // P's listen port: records whether T dials it
    const raw = await RawPeer.connect(t.address()!.port);
    const hs = handshakeAs(high, pListener.port);
    raw.send(hs.hello());
    // T acknowledges P's Hello (no dial of T's is pending); P withholds its own ack for now.
    await waitFor(() => raw.frames.some((f) => f.kind === 'helloAck'), 2_000, "T's ack");
    const dial = t.dial(`127.0.0.1:${pListener.port}`);
    // Without the join, T would dial P now, and the rule (T's dial wins) would later close the
    // connection P has already reported connected: P's listener would have seen a socket by the
    // time the dial resolves (checked below, after the outcome, not after a sleep).
    for (const f of raw.frames.splice(0)) {
      const step = hs.onFrame(f);
      if (step.send) raw.send(step.send);
    }
    const info = await dial;
    expect(info.id).toBe(high.nodeId);
    expect(info.direction).toBe('inbound');
    expect(pListener.sockets.length).toBe(0);
    expect(connects).toEqual([`inbound:${info.generation}`]);
    expect(disconnects).toEqual([]);
    raw.destroy();
  });

  it('the join is bounded: a handshake that stalls lets the dial go ahead after dedupHoldMs', async () => {
    const { low, high } = ordered();
    const t = await startNode({ identity: low, limits: { dedupHoldMs: 200 } });
    const p = await startNode({ identity: high });
    const raw = await RawPeer.connect(t.address()!.port);
    // A Hello advertising P's port from P's address, never acknowledged.
    raw.send(handshakeAs(high, p.address()!.port).hello());
    await waitFor(() => raw.frames.some((f) => f.kind === 'helloAck'), 2_000, "T's ack");
    const info = await t.dial(`127.0.0.1:${p.address()!.port}`);
    // The stalled handshake (deadline 5 s) did not block the dial: it went ahead on its own.
    expect(info.direction).toBe('outbound');
    expect(raw.closed).toBe(false);
    raw.destroy();
  });

  it('a dial of ours that reaches the peer at another address waits for its acknowledged connection to us', async () => {
    const { low, high } = ordered();
    const t = await startNode({ identity: low }); // its dial would win the rule if completed
    const connects: string[] = [];
    const disconnects: string[] = [];
    t.on('peer:connect', (i) => connects.push(`${i.direction}:${i.generation}`));
    t.on('peer:disconnect', (e) => disconnects.push(e.reason));
    // P answers T's dial at 127.0.0.2 with a real handshake (Hello and HelloAck).
    const seenByP: DecodedFrame[] = [];
    const server = createServer((socket) => {
      socket.on('error', () => undefined);
      const hs = handshakeAs(high, 0);
      const decoder = new FrameDecoder();
      socket.write(encodeFrame(hs.hello()));
      let done = false;
      socket.on('data', (chunk) => {
        for (const f of decoder.push(chunk)) {
          seenByP.push(f);
          if (done || f.kind === 'disconnect') continue;
          const step = hs.onFrame(f);
          if (step.send) socket.write(encodeFrame(step.send));
          if (step.done) done = true;
        }
      });
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.2', resolve));
    const dialAddress = `127.0.0.2:${(server.address() as { port: number }).port}`;
    // P's own connection to T (advertising no listen port): T acks it, P holds its ack for now.
    const raw = await RawPeer.connect(t.address()!.port);
    const hs = handshakeAs(high, 0);
    raw.send(hs.hello());
    await waitFor(() => raw.frames.some((f) => f.kind === 'helloAck'), 2_000, "T's ack");
    const dial = t.dial(dialAddress);
    await waitFor(() => seenByP.some((f) => f.kind === 'hello'), 2_000, "T's Hello on its dial");
    for (const f of raw.frames.splice(0)) {
      const step = hs.onFrame(f);
      if (step.send) raw.send(step.send);
    }
    const info = await dial;
    expect(info.direction).toBe('inbound');
    await waitFor(() => seenByP.some((f) => f.kind === 'disconnect'), 2_000, 'the dial refused');
    const refusal = seenByP.find((f) => f.kind === 'disconnect');
    expect(refusal?.kind === 'disconnect' && refusal.body.reason).toBe(
      pb.DisconnectReason.DISCONNECT_REASON_DUPLICATE,
    );
    // T held its ack on its dial while P's connection to it was in its handshake, and then
    // refused the dial: P never saw an ack on it, at any time (not just within a window).
    expect(seenByP.some((f) => f.kind === 'helloAck')).toBe(false);
    expect(connects).toEqual([`inbound:${info.generation}`]);
    expect(disconnects).toEqual([]);
    raw.destroy();
  });
});
