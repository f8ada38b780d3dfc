import { createServer, type Socket } from 'node:net';
import { pb } from '@tc/wire';
import { afterEach, describe, expect, it } from 'vitest';
import { DialError, HandshakeError, NodeIdentity, type PeerConnectionRegistry } from '../src/internal.js';
import { addr, GENESIS, RawPeer, startNode, stopAll, waitFor } from './helpers.js';

afterEach(stopAll);

const R = pb.DisconnectReason;

/** The dial fails, and the cause names the refusal (ours, or the peer's Disconnect reason). */
async function expectRefused(dialer: PeerConnectionRegistry, target: PeerConnectionRegistry, code: string) {
  const error = await dialer.dial(addr(target)).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(DialError);
  const cause = (error as DialError).cause as HandshakeError;
  expect(cause).toBeInstanceOf(HandshakeError);
  const reasons: Record<string, number> = {
    WRONG_GENESIS: R.DISCONNECT_REASON_WRONG_GENESIS,
    WRONG_NETWORK: R.DISCONNECT_REASON_WRONG_NETWORK,
    INCOMPATIBLE_VERSION: R.DISCONNECT_REASON_INCOMPATIBLE_VERSION,
  };
  if (cause.code === 'REFUSED_BY_PEER') expect(cause.remoteReason).toBe(reasons[code]);
  else expect(cause.code).toBe(code);
  expect(dialer.peers()).toEqual([]);
  await waitFor(() => target.peers().length === 0);
}

describe('handshake refusals', () => {
  it('wrong genesis is refused with its reason', async () => {
    const a = await startNode();
    const b = await startNode({ genesisHash: new Uint8Array(32).fill(9) });
    await expectRefused(b, a, 'WRONG_GENESIS');
  });

  it('a wrong genesis is a warning on both sides naming both hashes, and its ban ends when the peer comes back right', async () => {
    const lines = (into: { level: string; obj: object; msg?: string }[]) => ({
      debug: () => undefined,
      info: (obj: object | string, msg?: string) =>
        into.push({ level: 'info', obj: obj as object, ...(msg ? { msg } : {}) }),
      warn: (obj: object | string, msg?: string) =>
        into.push({ level: 'warn', obj: obj as object, ...(msg ? { msg } : {}) }),
      error: () => undefined,
    });
    const aLog: { level: string; obj: object; msg?: string }[] = [];
    const bLog: typeof aLog = [];
    const a = await startNode({ logger: lines(aLog) });
    const identity = NodeIdentity.generate();
    const wrong = new Uint8Array(32).fill(9);
    const b = await startNode({ identity, genesisHash: wrong, logger: lines(bLog) });
    await expectRefused(b, a, 'WRONG_GENESIS');
    const hashes = [Buffer.from(GENESIS).toString('hex'), Buffer.from(wrong).toString('hex')];
    for (const log of [aLog, bLog]) {
      await waitFor(() => log.some((l) => l.level === 'warn' && /another chain/.test(l.msg ?? '')));
      const text = JSON.stringify(log.filter((l) => l.level === 'warn'));
      for (const h of hashes) expect(text).toContain(h);
    }
    const ban = a.bans().find((x) => x.key === `node:${identity.nodeId}`);
    expect(ban?.reason).toBe('WRONG_GENESIS');
    expect(ban!.untilMs - Date.now()).toBeLessThanOrEqual(60 * 60_000);
    // The operator fixes b's genesis and restarts it with the same key: a lets it in at once.
    await b.stop();
    const fixed = await startNode({ identity });
    const info = await fixed.dial(addr(a));
    expect(info.id).toBe(a.nodeId);
    expect(a.bans().some((x) => x.key === `node:${identity.nodeId}`)).toBe(false);
    expect(aLog.some((l) => /ban lifted/.test(l.msg ?? ''))).toBe(true);
  });

  it('wrong network is refused with its reason', async () => {
    const a = await startNode();
    const b = await startNode({ networkId: 'tc-other' });
    await expectRefused(b, a, 'WRONG_NETWORK');
  });

  it('a protocol version outside the supported range is refused', async () => {
    const a = await startNode({ protocolVersion: 1, minProtocolVersion: 1 });
    const b = await startNode({ protocolVersion: 3, minProtocolVersion: 2 });
    await expectRefused(b, a, 'INCOMPATIBLE_VERSION');
    // Overlapping ranges negotiate the lower version.
    const c = await startNode({ protocolVersion: 2, minProtocolVersion: 1 });
    const info = await c.dial(addr(a));
    expect(info.protocolVersion).toBe(1);
  });

  it('a silent socket is closed at the handshake deadline', async () => {
    const a = await startNode({ limits: { handshakeTimeoutMs: 150 } });
    const raw = await RawPeer.connect(a.address()!.port);
    await raw.waitClosed(3_000);
    const kinds = raw.frames.map((f) => f.kind);
    expect(kinds[0]).toBe('hello');
    const last = raw.frames.at(-1)!;
    expect(last.kind === 'disconnect' && last.body.reason).toBe(R.DISCONNECT_REASON_HANDSHAKE_TIMEOUT);
  });

  it('a stolen node id without its key is refused', async () => {
    const victim = NodeIdentity.generate();
    const a = await startNode();
    const raw = await RawPeer.connect(a.address()!.port);
    // Claims the victim's public key but can only sign with its own key.
    const thief = NodeIdentity.generate();
    const forged = Object.create(thief) as NodeIdentity;
    Object.defineProperty(forged, 'publicKey', { value: victim.publicKey });
    Object.defineProperty(forged, 'nodeId', { value: victim.nodeId });
    forged.sign = (data) => thief.sign(data);
    await raw.handshake({ identity: forged }).catch(() => undefined);
    await raw.waitClosed();
    const last = raw.frames.at(-1);
    expect(last?.kind === 'disconnect' && last.body.reason).toBe(R.DISCONNECT_REASON_BAD_HANDSHAKE);
    expect(a.peers()).toEqual([]);
    // Not proven, so the victim's id is NOT banned (the forger's address is).
    expect(a.bans().some((b) => b.key === `node:${victim.nodeId}`)).toBe(false);
  });

  it('anything but the handshake before it completes is refused', async () => {
    const a = await startNode();
    const raw = await RawPeer.connect(a.address()!.port);
    raw.send({ kind: 'getChainTip', body: {}, requestId: 1 });
    await raw.waitClosed();
    const last = raw.frames.at(-1);
    expect(last?.kind === 'disconnect' && last.body.reason).toBe(R.DISCONNECT_REASON_BAD_HANDSHAKE);
  });

  it('a connection to ourselves is refused and the address is not dialled again', async () => {
    const a = await startNode();
    const error = await a.dial(addr(a)).catch((e: unknown) => e);
    expect(((error as DialError).cause as HandshakeError).code).toMatch(/SELF_CONNECTION|REFUSED_BY_PEER/);
    await expect(a.dial(addr(a))).rejects.toThrow(/that address is us/);
  });

  it('a banned node id is refused', async () => {
    const a = await startNode();
    const b = await startNode();
    a.ban(b.nodeId, 60_000, 'test');
    const error = await b.dial(addr(a)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DialError);
    expect(a.peers()).toEqual([]);
  });

  it('genesis comparison is by bytes', async () => {
    const a = await startNode();
    const b = await startNode({ genesisHash: Uint8Array.from(GENESIS) });
    const info = await b.dial(addr(a));
    expect(info.id).toBe(a.nodeId);
  });

  it('dials to one address join one socket, and a silent server fails the dial at the deadline', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => {
      sockets.push(socket); // accepts, never speaks
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as { port: number }).port;
      const b = await startNode({ limits: { handshakeTimeoutMs: 150 } });
      const results = await Promise.allSettled([0, 1, 2].map(() => b.dial(`127.0.0.1:${port}`)));
      for (const r of results) {
        expect(r.status).toBe('rejected');
        const cause = ((r as PromiseRejectedResult).reason as DialError).cause as HandshakeError;
        expect(cause.code).toBe('HANDSHAKE_TIMEOUT');
      }
      expect(sockets.length).toBe(1); // the 2nd and 3rd dial joined the 1st
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });
});
