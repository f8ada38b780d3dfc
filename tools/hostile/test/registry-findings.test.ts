import { randomBytes } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import { NONCE_BYTES, NodeIdentity, PeerConnectionRegistry } from '@tc/registry';
import { encodeFrame, message, u64 } from '@tc/wire';
import { afterEach, describe, expect, it } from 'vitest';
import { clientHandshake, helloMessage, probeAddress, WireSocket } from '../src/index.js';

/**
 * Minimal reproductions of what the hostile suite found in @tc/registry, kept as regression
 * tests. Finding 1 (an unproven attempt held a proven session until its handshake deadline)
 * was fixed in the registry by f21e72f; before it, both `race` tests below got
 * `{ answered: false }`. Finding 2 (an HTTP request banned the address) changed in ffab2b9.
 * Finding 3 (an unproven claim on the target's own dial held or parked the claimed peer) and
 * finding 4 (an unsolicited large response frame was buffered until the ping timeout) are fixed
 * too; before, `dialRace` gave `{ served: false }` in both orders and `partialUnsolicitedChunk`
 * gave `false`. The only timings are request or dial budgets at half the target's handshake
 * deadline, and a 2 s wait for a close that must come at once.
 */

const NETWORK = 'tc-findings';
const GENESIS = new Uint8Array(32).fill(3);
const started: PeerConnectionRegistry[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((r) => r.stop()));
});

async function registry(identity: NodeIdentity, listen: boolean): Promise<PeerConnectionRegistry> {
  const r = new PeerConnectionRegistry({
    identity,
    networkId: NETWORK,
    genesisHash: GENESIS,
    listen: listen ? { host: '127.0.0.1', port: 0 } : false,
    discovery: false,
    exemptLoopback: true,
    limits: { handshakeTimeoutMs: 2_000, closeTimeoutMs: 200 },
  });
  r.handle('getChainTip', () => ({ height: u64(1), hash: new Uint8Array(32) }));
  await r.start();
  started.push(r);
  return r;
}

/**
 * While `attack` is pending on the target (a Hello claiming the owner's key, or nothing at
 * all), the owner dials the target and sends one request with a 1 s timeout — half the
 * target's 2 s handshake deadline, so the attack is still pending throughout. Returns whether
 * that request was answered, and whether the attack socket was still open when it ended.
 */
async function race(claim: 'owner-key' | 'silent'): Promise<{ answered: boolean; attackStillOpen: boolean }> {
  const target = await registry(NodeIdentity.generate(), true);
  const ownerId = NodeIdentity.generate();
  const owner = await registry(ownerId, false);
  const port = target.address()!.port;
  const attack = await WireSocket.connect({ host: '127.0.0.1', port });
  try {
    await attack.waitFor(() => attack.helloReceived, 2_000);
    if (claim === 'owner-key') {
      // A Hello with the owner's public key (public information), never acknowledged.
      attack.send(
        helloMessage(
          { networkId: NETWORK, genesisHash: GENESIS },
          ownerId.publicKey,
          randomBytes(NONCE_BYTES),
        ),
      );
      await attack.waitFor(() => (attack.kinds.helloAck ?? 0) > 0, 2_000);
    }
    const info = await owner.dial(`127.0.0.1:${port}`);
    const answered = await owner
      .request(info.id, { kind: 'getChainTip', body: {} }, { timeoutMs: 1_000 })
      .then(() => true)
      .catch(() => false);
    return { answered, attackStillOpen: !attack.closedByNode && !attack.closed };
  } finally {
    attack.destroy();
  }
}

/**
 * Finding 3 (fixed by the registry: a dial that could not beat P's session under the rule
 * parks nothing, and a hold or park on our own dials lasts at most `dedupHoldMs`, 500 ms by
 * default). The target T dials an endpoint X that the attacker controls (an address fed
 * to T by discovery, a `getPeers` answer or an advertised listen port). X answers with a Hello
 * claiming the key of peer P (public) and never proves it. While that dial is pending (up to T's
 * handshake deadline), P connects to T. Returns whether P got an answer within 1 s (half the
 * deadline) of starting to dial, while T's dial to X was still pending. `order` picks the ids so
 * that T's node id is lower (T<P: T holds its HelloAck to P) or higher (T>P: P's proven session
 * is parked) than P's.
 */
async function dialRace(order: 'T<P' | 'T>P'): Promise<{ served: boolean; dialToXPending: boolean }> {
  const tId = NodeIdentity.generate();
  let pId = NodeIdentity.generate();
  for (let i = 0; i < 1_000 && tId.nodeId < pId.nodeId !== (order === 'T<P'); i++)
    pId = NodeIdentity.generate();
  const target = await registry(tId, true);
  const victim = await registry(pId, true);
  const sockets: Socket[] = [];
  const x = createServer((s) => {
    sockets.push(s);
    s.on('error', () => undefined);
    s.write(
      encodeFrame(
        helloMessage({ networkId: NETWORK, genesisHash: GENESIS }, pId.publicKey, randomBytes(NONCE_BYTES)),
      ),
    );
  });
  await new Promise<void>((resolve) => x.listen(0, '127.0.0.1', resolve));
  try {
    let pending = true;
    const dialX = target
      .dial(`127.0.0.1:${(x.address() as { port: number }).port}`)
      .catch(() => undefined)
      .finally(() => {
        pending = false;
      });
    // T has X's Hello (the claim) once X saw T's Hello arrive.
    await waitUntil(() => sockets.length > 0 && sockets[0]!.bytesRead > 0, 2_000);
    const budget = AbortSignal.timeout(1_000);
    const served = await victim
      .dial(`127.0.0.1:${target.address()!.port}`, { signal: budget })
      .then((info) => victim.request(info.id, { kind: 'getChainTip', body: {} }, { signal: budget }))
      .then(() => true)
      .catch(() => false);
    const dialToXPending = pending;
    await dialX;
    return { served, dialToXPending };
  } finally {
    for (const s of sockets) s.destroy();
    x.close();
  }
}

async function waitUntil(check: () => boolean, maxMs: number): Promise<void> {
  const deadline = Date.now() + maxMs;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
}

/**
 * Finding 4 (fixed by the registry: a response kind is refused from its Envelope header, through
 * the `onHeader` hook of @tc/wire's FrameDecoder, unless a request of ours takes it). After a real handshake, a peer starts an *unsolicited* blockRangeChunk (no
 * getBlockRange of ours is pending, so no such frame can be legitimate) of ~6 MiB and sends all
 * of it but the last `withheld` bytes. Returns whether the node closed the connection within
 * 2 s (its ping interval is the default 10 s, so a close by the ping timeout cannot happen yet).
 */
async function partialUnsolicitedChunk(withheld: number): Promise<boolean> {
  const target = await registry(NodeIdentity.generate(), true);
  const ws = await WireSocket.connect({ host: '127.0.0.1', port: target.address()!.port });
  try {
    const hs = await clientHandshake(ws, { networkId: NETWORK, genesisHash: GENESIS });
    if (!hs.ok) throw new Error('handshake failed');
    const frame = encodeFrame(
      message('blockRangeChunk', {
        blocks: [new Uint8Array(6 * 1024 * 1024)],
      }),
    );
    ws.writeRaw(frame.subarray(0, frame.length - withheld));
    return await ws.waitClosedByNode(2_000);
  } finally {
    ws.destroy();
  }
}

describe('registry findings', () => {
  it("an unproven Hello claiming a peer's key does not hold that peer's new session", async () => {
    expect(await race('owner-key')).toEqual({ answered: true, attackStillOpen: true });
  });

  it('a silent socket from the same IP does not hold a new session from that IP', async () => {
    expect(await race('silent')).toEqual({ answered: true, attackStillOpen: true });
  });

  it('finding 3 (fixed): an unproven claim on our own dial does not hold P (T<P)', async () => {
    expect(await dialRace('T<P')).toEqual({ served: true, dialToXPending: true });
  });

  it('finding 3 (fixed): an unproven claim on our own dial does not park P (T>P)', async () => {
    expect(await dialRace('T>P')).toEqual({ served: true, dialToXPending: true });
  });

  it('finding 4 (fixed): an unsolicited large response frame is refused before it is buffered', async () => {
    expect(await partialUnsolicitedChunk(1)).toBe(true);
  });

  // Finding 2 (a policy edge, changed by the registry in ffab2b9): "GET " used to read as a 1.2 GB
  // length prefix (FRAME_TOO_LARGE → 30 min address ban, loopback included even with
  // exemptLoopback), so a `curl` at the P2P port locked out every local peer and tool.
  // Now foreign-protocol greetings are a plain disconnect.
  it('an HTTP request to the P2P port is disconnected without banning the address', async () => {
    const target = await registry(NodeIdentity.generate(), true);
    const port = target.address()!.port;
    const http = await WireSocket.connect({ host: '127.0.0.1', port });
    http.writeRaw(Buffer.from('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n'));
    expect(await http.waitClosedByNode(2_000)).toBe(true);
    http.destroy();
    expect(target.bans()).toEqual([]);
    expect(await probeAddress({ host: '127.0.0.1', port })).toBe('admitted');
  });
});
