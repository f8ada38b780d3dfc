import { randomBytes } from 'node:crypto';
import { encodeFrame, FrameDecoder, message, pb, u64 } from '@tc/wire';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { QueueFullError } from '../src/internal.js';
import { addr, RawPeer, startNode, stopAll, waitFor } from './helpers.js';

afterEach(stopAll);

const R = pb.DisconnectReason;
const MiB = 1024 * 1024;

/** A seeded xorshift PRNG so garbage is reproducible. */
function prng(seed: number): (n: number) => Uint8Array {
  let x = seed >>> 0 || 1;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      out[i] = x & 0xff;
    }
    return out;
  };
}

/** The registry still serves a fresh, honest peer. */
async function stillHealthy(port: number): Promise<void> {
  const honest = await startNode();
  const info = await honest.dial(`127.0.0.1:${port}`);
  const tip = await honest.request(info.id, { kind: 'getChainTip', body: {} }, { timeoutMs: 2_000 });
  expect(tip.height.toString()).toBe('0');
}

describe('hostile input', () => {
  it('a 0xFFFFFFFF length prefix before the handshake: disconnect, no large allocation, and no IP ban', async () => {
    const a = await startNode();
    const before = process.memoryUsage().arrayBuffers;
    const raw = await RawPeer.connect(a.address()!.port);
    raw.writeRaw(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]));
    await raw.waitClosed();
    const grown = process.memoryUsage().arrayBuffers - before;
    expect(grown).toBeLessThan(4 * MiB); // a 4 GiB claim was never buffered
    // Anonymous: nothing proves who sent it, and an honest node may share the address.
    expect(a.bans()).toEqual([]);
  });

  it('anonymous faults from 127.0.0.1 never keep an honest peer on 127.0.0.1 out', async () => {
    // Loopback limited as in production (tc-node start): no exemption to hide behind.
    const a = await startNode({ exemptLoopback: false });
    const honest = await startNode({ exemptLoopback: false });
    for (let i = 0; i < 4; i++) {
      for (const bytes of [
        [0xff, 0xff, 0xff, 0xff], // a 4 GiB length prefix
        [0, 0, 0, 8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], // a frame that is no Hello
      ]) {
        const raw = await RawPeer.connect(a.address()!.port);
        raw.writeRaw(Uint8Array.from(bytes));
        await raw.waitClosed();
      }
    }
    expect(a.bans()).toEqual([]);
    // Before: the first fault banned 127.0.0.1 for an hour, and this dial was refused.
    await honest.dial(addr(a));
    await waitFor(() => a.peers().some((p) => p.id === honest.nodeId));
  });

  it('HTTP, TLS or SSH at the P2P port before the handshake: disconnect, but no address ban', async () => {
    const a = await startNode();
    for (const greeting of [
      Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
      Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]),
      Buffer.from('SSH-2.0-OpenSSH_9.6\r\n'),
    ]) {
      const raw = await RawPeer.connect(a.address()!.port);
      raw.writeRaw(greeting);
      await raw.waitClosed();
    }
    expect(a.bans()).toEqual([]);
    await stillHealthy(a.address()!.port);
  });

  it('a 0xFFFFFFFF length prefix after the handshake: disconnect and node-id ban', async () => {
    const a = await startNode();
    const reasons: string[] = [];
    a.on('peer:disconnect', (e) => reasons.push(e.reason));
    const raw = await RawPeer.connect(a.address()!.port);
    const id = await raw.handshake();
    await waitFor(() => a.peer(id.nodeId));
    const before = process.memoryUsage().arrayBuffers;
    raw.writeRaw(Uint8Array.from([0xff, 0xff, 0xff, 0xff]));
    await raw.waitClosed();
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(4 * MiB);
    expect(a.bans().map((b) => b.key)).toContain(`node:${id.nodeId}`);
    expect(reasons).toEqual(['banned']);
    const last = raw.frames.at(-1);
    expect(last?.kind === 'disconnect' && last.body.reason).toBe(
      pb.DisconnectReason.DISCONNECT_REASON_BANNED,
    );
    // It cannot come back: its id is refused at the handshake.
    const again = await RawPeer.connect(a.address()!.port);
    await again.handshake({ identity: id }).catch(() => undefined);
    await again.waitClosed();
    expect(a.peer(id.nodeId)).toBeUndefined();
  });

  it('random garbage after the handshake gives a disconnect (or is skipped as a newer kind), 20 seeded trials; the node stays healthy', async () => {
    const a = await startNode();
    let skipped = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const raw = await RawPeer.connect(a.address()!.port);
      const id = await raw.handshake();
      await waitFor(() => a.peer(id.nodeId));
      const garbage = prng(seed)(256);
      // A length prefix that matches, so the whole body is garbage the decoder must judge.
      garbage.set([0, 0, 0, 252]);
      // Garbage whose header names a body field this build does not know is, by design,
      // indistinguishable from a newer peer's kind: it is skipped, undecoded, and the session
      // stays. Our own decoder says which it is.
      let unknown = false;
      try {
        unknown = [...new FrameDecoder().push(garbage)].some((f) => f.kind === 'unknown');
      } catch {
        unknown = false;
      }
      raw.writeRaw(garbage);
      if (unknown) {
        skipped++;
        // The skipped frame was handled before the ping behind it: the session answered.
        expect(await raw.roundTrip()).toBe(true);
        expect(a.peer(id.nodeId)).toBeDefined();
        raw.destroy();
      } else {
        await raw.waitClosed();
      }
      await waitFor(() => a.peer(id.nodeId) === undefined);
    }
    expect(skipped).toBeLessThan(20);
    await stillHealthy(a.address()!.port);
  });

  it("a newer peer's unknown kind of 1 MiB is skipped, not punished; as a request it gets UNSUPPORTED", async () => {
    const a = await startNode();
    const raw = await RawPeer.connect(a.address()!.port);
    const id = await raw.handshake();
    await waitFor(() => a.peer(id.nodeId));
    const unknownFrame = (requestId: number, body: number) => {
      // Envelope: request_id (field 1), then a body at field 40, which this build does not know.
      const head = [0x08, requestId, 0xc2, 0x02];
      for (let n = body; ; n = Math.floor(n / 128)) {
        head.push(n > 0x7f ? (n & 0x7f) | 0x80 : n);
        if (n <= 0x7f) break;
      }
      const frame = new Uint8Array(4 + head.length + body);
      new DataView(frame.buffer).setUint32(0, head.length + body);
      frame.set(head, 4);
      return frame;
    };
    raw.writeRaw(unknownFrame(0, 1024 * 1024)); // gossip of a future kind
    raw.writeRaw(unknownFrame(9, 1024)); // a request of a future kind
    const reply = await waitFor(
      () => raw.frames.find((f) => f.kind === 'error' && f.requestId === 9),
      5_000,
      'reply',
    );
    expect(reply.kind === 'error' && reply.body.code).toBe(pb.ErrorCode.ERROR_CODE_UNSUPPORTED);
    expect(raw.closed).toBe(false);
    expect(a.peer(id.nodeId)?.score ?? 0).toBe(0);
    raw.destroy();
  });

  it('a large frame before the handshake is refused before it is buffered whole', async () => {
    const a = await startNode();
    const raw = await RawPeer.connect(a.address()!.port);
    // A 4 MiB blockRangeChunk (field 23, within its kind limit), trickled: never a Hello.
    const header = Uint8Array.from([0x00, 0x40, 0x00, 0x00, 0xba, 0x01, 0x80, 0x80, 0xff, 0x01]);
    raw.writeRaw(header);
    for (let i = 0; i < 64 && !raw.closed; i++) {
      raw.writeRaw(new Uint8Array(1024));
      await new Promise((r) => setTimeout(r, 2));
    }
    await raw.waitClosed();
    expect(raw.socket.bytesWritten).toBeLessThan(32 * 1024); // closed long before 4 MiB
    const last = raw.frames.at(-1);
    expect(last?.kind === 'disconnect' && last.body.reason).toBe(R.DISCONNECT_REASON_BAD_HANDSHAKE);
  });

  it('a peer that floods requests without reading cannot grow our queue with error replies', async () => {
    const a = await startNode({
      rateQuotas: { getChainTip: { ratePerSec: 1, burst: 1 } },
      // Keep it connected whatever it does, to test the queue bound alone.
      errorActions: { RATE_LIMITED: { action: 'ignore' }, RATE_LIMIT_ABUSE: { action: 'ignore' } },
      limits: { maxQueuedBytesPerPeer: 16 * 1024, sendDrainTimeoutMs: 60_000, pingIntervalMs: 0 },
    });
    const raw = await RawPeer.connect(a.address()!.port);
    const id = await raw.handshake();
    await waitFor(() => a.peer(id.nodeId));
    raw.socket.pause();
    const batch = Buffer.concat(
      Array.from({ length: 2000 }, (_, i) => encodeFrame(message('getChainTip', {}, i + 1))),
    );
    let maxSeen = 0;
    // Until our queue is over its bound (the kernel buffers fill first), then 20 batches more.
    for (let i = 0, extra = 0; i < 300 && extra < 20; i++) {
      if (maxSeen > 16 * 1024) extra++;
      raw.writeRaw(batch);
      await new Promise((r) => setTimeout(r, 1));
      expect(a.peer(id.nodeId)!.queuedBytes).toBeLessThanOrEqual(16 * 1024 + 64 * 1024 + 64);
      maxSeen = Math.max(maxSeen, a.peer(id.nodeId)!.queuedBytes);
    }
    expect(maxSeen).toBeGreaterThan(16 * 1024); // the bound was reached, and held
    expect(a.peer(id.nodeId)).toBeDefined();
    raw.destroy();
  });

  it('random garbage before the handshake gives a disconnect', async () => {
    const a = await startNode();
    const raw = await RawPeer.connect(a.address()!.port);
    raw.writeRaw(randomBytes(4096));
    await raw.waitClosed();
    expect(a.peers()).toEqual([]);
  });

  it('a request flood is rate limited (typed reply) and then disconnected; other peers are served', async () => {
    const a = await startNode({ rateQuotas: { getChainTip: { ratePerSec: 10, burst: 20 } } });
    const raw = await RawPeer.connect(a.address()!.port);
    const id = await raw.handshake();
    await waitFor(() => a.peer(id.nodeId));
    const honest = await startNode();
    await honest.dial(addr(a));
    // 400 requests in one write: the burst is answered, the rest refused with RATE_LIMITED
    // (score −1 each) until the score crosses the disconnect threshold and the peer is dropped.
    const FLOOD = 400;
    raw.writeRaw(
      Buffer.concat(Array.from({ length: FLOOD }, (_, i) => encodeFrame(message('getChainTip', {}, i + 1)))),
    );
    // The honest peer keeps getting answers while the flood runs (bounded by their timeout).
    for (let i = 0; i < 15; i++) {
      const tip = await honest.request(a.nodeId, { kind: 'getChainTip', body: {} }, { timeoutMs: 2_000 });
      expect(tip.height.toString()).toBe('0');
    }
    await raw.waitClosed();
    const answers = raw.frames.filter((f) => f.kind === 'chainTip').length;
    const limited = raw.frames.filter((f) => f.kind === 'error' && f.body.code === 2).length;
    expect(answers).toBeLessThanOrEqual(25); // burst + a little refill
    expect(limited).toBeGreaterThanOrEqual(15);
    const last = raw.frames.at(-1)!;
    expect(last.kind === 'disconnect' && last.body.reason).toBe(R.DISCONNECT_REASON_MISBEHAVIOUR);
    await stillHealthy(a.address()!.port);
  });

  it('a peer that never reads hits the queue bound and is disconnected as too slow', async () => {
    const a = await startNode({
      limits: { maxQueuedBytesPerPeer: 256 * 1024, sendDrainTimeoutMs: 300, pingIntervalMs: 0 },
    });
    const reasons: string[] = [];
    a.on('peer:disconnect', (e) => reasons.push(e.reason));
    const raw = await RawPeer.connect(a.address()!.port);
    const id = await raw.handshake();
    await waitFor(() => a.peer(id.nodeId));
    raw.socket.pause(); // never reads again
    const tx = {
      version: 1,
      inputs: [{ prevTxid: new Uint8Array(32), signature: new Uint8Array(16 * 1024) }],
    };
    let failure: unknown;
    // Kernel buffers absorb a few MiB first; 4000 × 16 KiB = 64 MiB is far beyond them.
    for (let i = 0; i < 4000 && failure === undefined; i++) {
      await a.send(id.nodeId, message('txBroadcast', { txs: [tx] })).catch((e: unknown) => {
        failure = e;
      });
      const queued = a.peer(id.nodeId)?.queuedBytes ?? 0;
      expect(queued).toBeLessThanOrEqual(256 * 1024 + 32 * 1024);
    }
    expect(failure).toBeInstanceOf(QueueFullError);
    await waitFor(() => reasons.length === 1);
    expect(reasons).toEqual(['too-slow']);
    raw.destroy();
    await stillHealthy(a.address()!.port);
  });

  it('a peer that never reads is dropped as too slow with broadcasts alone (nothing awaits)', async () => {
    const a = await startNode({
      limits: { maxQueuedBytesPerPeer: 256 * 1024, sendDrainTimeoutMs: 200, pingIntervalMs: 0 },
    });
    const reasons: string[] = [];
    a.on('peer:disconnect', (e) => reasons.push(e.reason));
    const raw = await RawPeer.connect(a.address()!.port);
    const id = await raw.handshake();
    await waitFor(() => a.peer(id.nodeId));
    raw.socket.pause();
    const tx = {
      version: 1,
      inputs: [{ prevTxid: new Uint8Array(32), signature: new Uint8Array(16 * 1024) }],
    };
    let skipped = 0;
    for (let i = 0; i < 20_000 && reasons.length === 0; i++) {
      if (a.broadcast(message('txBroadcast', { txs: [tx] })) === 0) skipped++;
      if (i % 16 === 0) await new Promise((r) => setTimeout(r, 1));
      expect(a.peer(id.nodeId)?.queuedBytes ?? 0).toBeLessThanOrEqual(256 * 1024 + 32 * 1024);
    }
    expect(skipped).toBeGreaterThan(0);
    expect(reasons).toEqual(['too-slow']);
    raw.destroy();
  });

  it('a peer that misses N pongs is disconnected (ping timeout fires)', async () => {
    const a = await startNode({ limits: { pingIntervalMs: 40, maxMissedPongs: 3 } });
    const reasons: string[] = [];
    a.on('peer:disconnect', (e) => reasons.push(e.reason));
    const raw = await RawPeer.connect(a.address()!.port);
    const id = await raw.handshake(); // reads everything, answers nothing
    await waitFor(() => a.peer(id.nodeId));
    await raw.waitClosed(5_000);
    expect(reasons).toEqual(['ping-timeout']);
    expect(raw.frames.filter((f) => f.kind === 'ping').length).toBeGreaterThanOrEqual(3);
  });

  it('a peer that answers pings stays connected and gets an RTT', async () => {
    const a = await startNode({ limits: { pingIntervalMs: 30 } });
    const b = await startNode({
      limits: { pingIntervalMs: 30 },
      rateQuotas: { ping: { ratePerSec: 1000, burst: 1000 } },
    });
    await a.dial(addr(b));
    await waitFor(() => a.peer(b.nodeId)?.rttMs !== undefined, 5_000, 'rtt');
    expect(a.peer(b.nodeId)!.rttMs).toBeGreaterThanOrEqual(0);
  });

  it('an unknown kind from a newer peer is ignored; a response to nothing is refused from its header', async () => {
    const a = await startNode();
    const reasons: string[] = [];
    a.on('peer:disconnect', (e) => reasons.push(e.reason));
    const raw = await RawPeer.connect(a.address()!.port);
    const id = await raw.handshake();
    await waitFor(() => a.peer(id.nodeId));
    // Envelope with field 99 (length-delimited, empty): unknown to this build.
    raw.writeRaw(Uint8Array.from([0, 0, 0, 3, 0x9a, 0x06, 0x00]));
    raw.send(message('ping', { nonce: u64(1) }, 7));
    await waitFor(() => raw.frames.some((f) => f.kind === 'pong'));
    expect(a.peer(id.nodeId)).toBeDefined();
    raw.send(message('blockHash', { height: u64(1) }, 4242));
    await waitFor(() => reasons.length === 1);
    expect(reasons).toEqual(['protocol-error']);
    expect(a.score(id.nodeId)).toBeLessThan(0);
  });

  it('an unsolicited 6 MiB blockRangeChunk is refused from its header, not buffered (finding 4)', async () => {
    const metrics = new Registry();
    const a = await startNode({ metricsRegistry: metrics });
    const reasons: string[] = [];
    a.on('peer:disconnect', (e) => reasons.push(e.reason));
    const raw = await RawPeer.connect(a.address()!.port);
    const id = await raw.handshake();
    await waitFor(() => a.peer(id.nodeId));
    const frame = encodeFrame(
      message('blockRangeChunk', {
        blocks: [new Uint8Array(6 * 1024 * 1024)],
      }),
    );
    raw.writeRaw(frame.subarray(0, frame.length - 1)); // the last byte withheld
    await raw.waitClosed(5_000);
    expect(reasons).toEqual(['protocol-error']);
    // The Disconnect the wire README promises comes first: only the read side was broken.
    const last = raw.frames.at(-1);
    expect(last?.kind).toBe('disconnect');
    expect(last?.kind === 'disconnect' && last.body.reason).toBe(
      pb.DisconnectReason.DISCONNECT_REASON_PROTOCOL_ERROR,
    );
    const actions = await a.metrics!.peerActions.get();
    expect(actions.values.find((v) => v.labels.code === 'FRAME_REFUSED')?.labels.action).toBe('disconnect');
  });
});
