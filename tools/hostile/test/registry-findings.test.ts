import { randomBytes } from 'node:crypto';
import { NONCE_BYTES, NodeIdentity, PeerConnectionRegistry } from '@tc/registry';
import { u64 } from '@tc/wire';
import { afterEach, describe, expect, it } from 'vitest';
import { helloMessage, probeAddress, WireSocket } from '../src/index.js';

/**
 * Minimal reproductions of what the hostile suite found in @tc/registry, kept as regression
 * tests. Finding 1 (an unproven attempt held a proven session until its handshake deadline)
 * was fixed in the registry by f21e72f; before it, both `race` tests below got
 * `{ answered: false }`. Finding 2 (an HTTP request banned the address) by ffab2b9. The only timing is a request timeout at half the target's handshake
 * deadline.
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

describe('registry findings', () => {
  it("an unproven Hello claiming a peer's key does not hold that peer's new session", async () => {
    expect(await race('owner-key')).toEqual({ answered: true, attackStillOpen: true });
  });

  it('a silent socket from the same IP does not hold a new session from that IP', async () => {
    expect(await race('silent')).toEqual({ answered: true, attackStillOpen: true });
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
