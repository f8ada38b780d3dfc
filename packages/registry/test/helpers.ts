import { connect, type Socket } from 'node:net';
import { waitFor } from '@tc/test-utils';
import { type DecodedFrame, encodeFrame, FrameDecoder, message, type OutgoingMessage, u64 } from '@tc/wire';
import { Handshake, type HandshakeConfig } from '../src/handshake/handshake.js';
import { NodeIdentity, PeerConnectionRegistry, type RegistryOptions } from '../src/internal.js';

export const NETWORK = 'tc-test';
export const GENESIS = new Uint8Array(32).fill(7);

/** Registries started by a test file; `stopAll` in afterEach/afterAll. */
const started = new Set<PeerConnectionRegistry>();

export async function startNode(overrides: Partial<RegistryOptions> = {}): Promise<PeerConnectionRegistry> {
  const registry = new PeerConnectionRegistry({
    identity: NodeIdentity.generate(),
    networkId: NETWORK,
    genesisHash: GENESIS,
    listen: { host: '127.0.0.1', port: 0 },
    exemptLoopback: true,
    discovery: false,
    admission: { maxInbound: 10_000, maxOutbound: 10_000, maxPendingInbound: 10_000 },
    ...overrides,
    limits: { closeTimeoutMs: 500, ...overrides.limits },
  });
  await registry.start();
  started.add(registry);
  return registry;
}

export async function stopAll(): Promise<void> {
  const all = [...started];
  started.clear();
  await Promise.all(all.map((r) => r.stop()));
}

export function addr(r: PeerConnectionRegistry): string {
  return `127.0.0.1:${r.address()!.port}`;
}

export { waitFor };

/**
 * Whether `node` has no connection left to decide: no handshake in progress and no session
 * parked for a dedup probe. Once true, no dedup outcome is still to come, so a test can check
 * that nothing else happened without a sleep.
 */
export function settled(node: PeerConnectionRegistry): boolean {
  const manager = (node as unknown as { manager: ConnectionManagerView }).manager;
  return manager.pendingAttempts === 0 && manager.table.parkedValues().next().done === true;
}

interface ConnectionManagerView {
  readonly pendingAttempts: number;
  readonly table: { parkedValues(): IterableIterator<unknown> };
}

/**
 * A hand-driven peer on a raw socket: it can run a real handshake (or a forged one) and
 * then read and write frames directly, to play hostile or broken peers.
 */
export class RawPeer {
  readonly frames: DecodedFrame[] = [];
  readonly decoder = new FrameDecoder();
  closed = false;
  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk) => {
      try {
        for (const f of this.decoder.push(chunk)) this.frames.push(f);
      } catch {
        // a broken stream from the registry would fail the test through assertions
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
    });
  }

  static async connect(port: number): Promise<RawPeer> {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawPeer(socket);
  }

  send(msg: OutgoingMessage): void {
    this.socket.write(encodeFrame(msg));
  }

  writeRaw(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Runs a real handshake as `identity`; resolves once the registry's ack verified. */
  async handshake(
    config: Partial<HandshakeConfig> & { identity?: NodeIdentity; nonce?: Uint8Array } = {},
  ): Promise<NodeIdentity> {
    const identity = config.identity ?? NodeIdentity.generate();
    const hs = new Handshake({
      identity,
      networkId: NETWORK,
      genesisHash: GENESIS,
      protocolVersion: 1,
      minProtocolVersion: 1,
      agent: 'raw',
      listenPort: () => 0,
      getLocalTip: () => ({ height: 0, hash: new Uint8Array(0) }),
      isBanned: () => false,
      ...config,
    });
    if (config.nonce) hs.localNonce.set(config.nonce);
    this.send(hs.hello());
    let seen = 0;
    await waitFor(
      () => {
        while (seen < this.frames.length) {
          const step = hs.onFrame(this.frames[seen++]!);
          if (step.send) this.send(step.send);
          if (step.done) return true;
        }
        return false;
      },
      5_000,
      'raw handshake',
    );
    this.frames.splice(0, seen);
    return identity;
  }

  /**
   * Sends a ping and waits for its pong: the registry has then handled everything sent before
   * it on this connection (frames are handled in order), without waiting for a fixed time.
   * Resolves false if the connection closed first.
   */
  async roundTrip(requestId = 0x7fff_0000, timeoutMs = 5_000): Promise<boolean> {
    this.send(message('ping', { nonce: u64(requestId), sentAtMs: u64(0) }, requestId));
    await waitFor(
      () => this.closed || this.frames.some((f) => f.kind === 'pong' && f.requestId === requestId),
      timeoutMs,
      'pong',
    );
    return !this.closed && this.frames.some((f) => f.kind === 'pong' && f.requestId === requestId);
  }

  waitClosed(timeoutMs = 5_000): Promise<boolean> {
    return waitFor(() => this.closed, timeoutMs, 'socket close');
  }

  /** Answers every ping that arrives (a live but otherwise idle peer). */
  answerPings(): void {
    const answered = new Set<number>();
    const timer = setInterval(() => {
      for (const f of this.frames) {
        if (f.kind === 'ping' && !answered.has(f.requestId)) {
          answered.add(f.requestId);
          this.send({ kind: 'pong', body: f.body, requestId: f.requestId });
        }
      }
      if (this.closed) clearInterval(timer);
    }, 5);
    timer.unref();
  }

  destroy(): void {
    this.socket.destroy();
  }
}
