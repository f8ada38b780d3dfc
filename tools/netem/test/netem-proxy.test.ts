import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { NetemProxy } from '../src/index.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function echoServer(): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => s.pipe(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : 0 };
}

async function proxyTo(port: number, seed = 7): Promise<NetemProxy> {
  const proxy = new NetemProxy({ target: { host: '127.0.0.1', port }, seed });
  await proxy.start();
  cleanups.push(() => proxy.stop());
  return proxy;
}

async function client(port: number): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port });
  await once(socket, 'connect');
  cleanups.push(() => void socket.destroy());
  return socket;
}

/** Resolves with `n` bytes read from the socket, or rejects after `timeoutMs`. */
function readBytes(socket: Socket, n: number, timeoutMs = 5000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let got = 0;
    const timer = setTimeout(() => reject(new Error(`timed out with ${got}/${n} bytes`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      parts.push(chunk);
      got += chunk.length;
      if (got >= n) {
        clearTimeout(timer);
        socket.off('data', onData);
        resolve(Buffer.concat(parts));
      }
    };
    socket.on('data', onData);
  });
}

const payload = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31) & 0xff));

describe('NetemProxy', () => {
  it('forwards both ways intact with no faults', async () => {
    const { port } = await echoServer();
    const proxy = await proxyTo(port);
    const socket = await client(proxy.port);
    const data = payload(200_000);
    socket.write(data);
    expect((await readBytes(socket, data.length)).equals(data)).toBe(true);
    expect(proxy.stats()).toMatchObject({ connections: 1, bytes: { forward: 200_000, backward: 200_000 } });
  });

  it('adds latency to each direction', async () => {
    const { port } = await echoServer();
    const proxy = await proxyTo(port);
    proxy.setFaults({ latencyMs: 60 });
    const socket = await client(proxy.port);
    const start = performance.now();
    socket.write('ping');
    await readBytes(socket, 4);
    // Behaviour, not speed: the echo cannot come back before both one-way delays passed.
    expect(performance.now() - start).toBeGreaterThanOrEqual(115);
  });

  it('models loss as a retransmission delay: every byte still arrives, in order', async () => {
    const { port } = await echoServer();
    const proxy = await proxyTo(port);
    proxy.setFaults({ lossProbability: 1, retransmitMs: 80 });
    const socket = await client(proxy.port);
    const start = performance.now();
    const data = payload(30_000);
    socket.write(data);
    expect((await readBytes(socket, data.length)).equals(data)).toBe(true);
    // Behaviour, not speed: each direction's first chunk waited one retransmission timeout.
    expect(performance.now() - start).toBeGreaterThanOrEqual(155);
  });

  it('limits bandwidth', async () => {
    const { port } = await echoServer();
    const proxy = await proxyTo(port);
    proxy.setFaults({ bandwidthBytesPerSec: 200_000 }, 'forward');
    const socket = await client(proxy.port);
    const start = performance.now();
    socket.write(payload(50_000));
    await readBytes(socket, 50_000);
    expect(performance.now() - start).toBeGreaterThanOrEqual(230); // 50 kB at 200 kB/s is 250 ms
  });

  it('holds a cut link without losing bytes and delivers them in order on restore', async () => {
    const { port } = await echoServer();
    const proxy = await proxyTo(port);
    const socket = await client(proxy.port);
    proxy.cut();
    const data = payload(10_000);
    socket.write(data);
    await expect(readBytes(socket, 1, 300)).rejects.toThrow(/timed out/);
    proxy.restore();
    expect((await readBytes(socket, data.length)).equals(data)).toBe(true);
  });

  it('cuts one way only', async () => {
    const target = createServer((s) => s.write('hello from target'));
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => target.close(() => r())));
    const address = target.address();
    const proxy = await proxyTo(typeof address === 'object' && address ? address.port : 0);
    proxy.cut('backward');
    const socket = await client(proxy.port);
    await expect(readBytes(socket, 1, 300)).rejects.toThrow(/timed out/);
    proxy.restore('backward');
    expect((await readBytes(socket, 17)).toString()).toBe('hello from target');
  });

  it('holds connections made during a cut until restore', async () => {
    const { port } = await echoServer();
    const proxy = await proxyTo(port);
    proxy.cut();
    const socket = await client(proxy.port);
    socket.write('late');
    await expect(readBytes(socket, 1, 200)).rejects.toThrow(/timed out/);
    proxy.restore();
    expect((await readBytes(socket, 4)).toString()).toBe('late');
  });

  it('stalls existing connections without closing them while new ones flow', async () => {
    const { port } = await echoServer();
    const proxy = await proxyTo(port);
    const stalled = await client(proxy.port);
    await new Promise((r) => setTimeout(r, 20));
    const release = proxy.stall();
    stalled.write('one');
    const fresh = await client(proxy.port);
    fresh.write('two');
    expect((await readBytes(fresh, 3)).toString()).toBe('two');
    await expect(readBytes(stalled, 1, 200)).rejects.toThrow(/timed out/);
    expect(stalled.destroyed).toBe(false);
    release();
    expect((await readBytes(stalled, 3)).toString()).toBe('one');
  });

  it('flips random bits at the configured rate, reproducibly per seed', async () => {
    const { port } = await echoServer();
    const proxy = await proxyTo(port, 42);
    proxy.setFaults({ flipProbability: 0.01 }, 'forward');
    const socket = await client(proxy.port);
    const data = payload(100_000);
    socket.write(data);
    const echoed = await readBytes(socket, data.length);
    let differing = 0;
    for (let i = 0; i < data.length; i++) if (echoed[i] !== data[i]) differing++;
    expect(echoed.length).toBe(data.length);
    expect(differing).toBe(proxy.stats().flippedBytes);
    expect(differing).toBeGreaterThan(500);
    expect(differing).toBeLessThan(1500);
  });

  it('resets every connection on demand', async () => {
    const { port } = await echoServer();
    const proxy = await proxyTo(port);
    const socket = await client(proxy.port);
    const closed = once(socket, 'close');
    proxy.resetConnections();
    await closed;
    expect(proxy.stats().connections).toBe(0);
  });

  it('rejects invalid faults', async () => {
    const proxy = new NetemProxy({ target: { host: '127.0.0.1', port: 1 } });
    expect(() => proxy.setFaults({ flipProbability: 2 })).toThrow(RangeError);
    expect(() => proxy.setFaults({ bandwidthBytesPerSec: 0 })).toThrow(RangeError);
    expect(() => proxy.setFaults({ latencyMs: -1 })).toThrow(RangeError);
  });
});
