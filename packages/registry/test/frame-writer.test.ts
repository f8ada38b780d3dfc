import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CONTROL_SLACK, FrameWriter } from '../src/frame-writer.js';

/** A socket stub: records writes; `writableLength` is what the "kernel" has not taken yet. */
class StubSocket extends EventEmitter {
  writes: number[] = [];
  writableLength = 0;
  writableNeedDrain = false;
  corked = 0;
  write(chunk: Uint8Array): boolean {
    this.writes.push(chunk.length);
    this.writableLength += chunk.length;
    this.writableNeedDrain = this.writableLength > 0;
    return this.writableLength === 0;
  }
  cork() {
    this.corked++;
  }
  uncork() {}
  /** The kernel takes everything: the socket drains. */
  drain() {
    this.writableLength = 0;
    this.writableNeedDrain = false;
    this.emit('drain');
  }
}

function harness(maxQueuedBytes = 1_000, sendDrainTimeoutMs = 100) {
  const socket = new StubSocket();
  const events = { tooSlow: 0, out: 0 };
  const writer = new FrameWriter(
    socket as unknown as Socket,
    { maxQueuedBytes, sendDrainTimeoutMs },
    {
      onTooSlow: () => events.tooSlow++,
      onBytesOut: (n) => (events.out += n),
    },
  );
  return { socket, writer, events };
}

const bytes = (n: number) => new Uint8Array(n);

afterEach(() => {
  vi.useRealTimers();
});

describe('FrameWriter (stub socket, fake timers)', () => {
  it('coalesces the frames of one tick into one socket write', async () => {
    const { socket, writer, events } = harness();
    for (let i = 0; i < 5; i++) expect(writer.tryWrite(bytes(10))).toBe(true);
    expect(socket.writes).toEqual([]); // queued until the microtask
    await Promise.resolve();
    expect(socket.writes).toEqual([50]);
    expect(events.out).toBe(50);
  });

  it('refuses past the bound, lets control frames a little over it, and a waiter gets room on drain', async () => {
    vi.useFakeTimers();
    const { socket, writer } = harness(1_000, 10_000);
    expect(writer.tryWrite(bytes(900))).toBe(true);
    await Promise.resolve(); // flushed; the stub kernel holds it
    expect(writer.queuedBytes).toBe(900);
    expect(writer.tryWrite(bytes(200))).toBe(false);
    expect(writer.writeControl(bytes(200))).toBe(true); // within CONTROL_SLACK
    expect(writer.writeControl(bytes(CONTROL_SLACK))).toBe(false);
    const room = writer.waitForRoom(500, 5_000);
    socket.drain();
    await expect(room).resolves.toBe(true);
  });

  it('a queue that stays stalled is reported too slow once; one that drains in time is not', async () => {
    vi.useFakeTimers();
    const stalled = harness(100, 100);
    stalled.writer.tryWrite(bytes(100));
    await Promise.resolve();
    expect(stalled.writer.tryWrite(bytes(50))).toBe(false); // starts the stall timer
    await vi.advanceTimersByTimeAsync(100);
    expect(stalled.events.tooSlow).toBe(1);

    const drained = harness(100, 100);
    drained.writer.tryWrite(bytes(100));
    await Promise.resolve();
    expect(drained.writer.tryWrite(bytes(50))).toBe(false);
    await vi.advanceTimersByTimeAsync(50);
    drained.socket.drain();
    await vi.advanceTimersByTimeAsync(100);
    expect(drained.events.tooSlow).toBe(0);
  });

  it('waitForRoom gives up after its timeout, and shutdown fails every waiter', async () => {
    vi.useFakeTimers();
    const { writer } = harness(100, 10_000);
    writer.tryWrite(bytes(100));
    await Promise.resolve();
    const late = writer.waitForRoom(50, 200);
    await vi.advanceTimersByTimeAsync(200);
    await expect(late).resolves.toBe(false);
    const cut = writer.waitForRoom(50, 10_000);
    writer.shutdown();
    await expect(cut).resolves.toBe(false);
  });
});
