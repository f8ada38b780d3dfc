import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { AddressBook } from '../src/address-book.js';
import { DialQueue } from '../src/dial-queue.js';
import {
  formatAddress,
  HANDSHAKE_DOMAIN,
  handshakeSignedMessage,
  NodeIdentity,
  nodeIdFromPublicKey,
  parseAddress,
  verifySignature,
} from '../src/internal.js';
import { ReconnectQueue } from '../src/reconnect-queue.js';
import { RequestTracker } from '../src/request/request-tracker.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('identity', () => {
  it('node id = hex(sha256(raw public key)); the private key round-trips', () => {
    const id = NodeIdentity.generate();
    expect(id.publicKey.length).toBe(32);
    expect(id.nodeId).toBe(createHash('sha256').update(id.publicKey).digest('hex'));
    expect(nodeIdFromPublicKey(id.publicKey)).toBe(id.nodeId);
    const again = NodeIdentity.fromPrivateKey(id.exportPrivateKey());
    expect(again.nodeId).toBe(id.nodeId);
    const sig = id.sign(Buffer.from('hello'));
    expect(verifySignature(again.publicKey, Buffer.from('hello'), sig)).toBe(true);
    expect(verifySignature(again.publicKey, Buffer.from('hellp'), sig)).toBe(false);
    expect(verifySignature(new Uint8Array(31), Buffer.from('hello'), sig)).toBe(false);
  });

  it('loadOrCreate writes a 0600 key file once and reloads the same identity', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tc-registry-'));
    dirs.push(dir);
    const path = join(dir, 'sub', 'node.key');
    const first = await NodeIdentity.loadOrCreate(path);
    const second = await NodeIdentity.loadOrCreate(path);
    expect(second.nodeId).toBe(first.nodeId);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await readFile(path, 'utf8')).trim()).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('handshake proof layout', () => {
  it('is "tc/handshake/v1" ‖ len ‖ network ‖ verifier nonce ‖ signer nonce ‖ signer key', () => {
    const v = new Uint8Array(32).fill(1);
    const s = new Uint8Array(32).fill(2);
    const k = new Uint8Array(32).fill(3);
    const bytes = handshakeSignedMessage('tc-main', v, s, k);
    expect(Buffer.from(bytes.subarray(0, 15)).toString('ascii')).toBe(HANDSHAKE_DOMAIN);
    expect(bytes[15]).toBe(7);
    expect(Buffer.from(bytes.subarray(16, 23)).toString()).toBe('tc-main');
    expect([...bytes.subarray(23, 55)]).toEqual([...v]);
    expect([...bytes.subarray(55, 87)]).toEqual([...s]);
    expect([...bytes.subarray(87, 119)]).toEqual([...k]);
    expect(bytes.length).toBe(119);
  });
});

describe('request ids', () => {
  it('skip 0 and ids still pending, also across the u32 wrap', () => {
    const t = new RequestTracker(10);
    (t as unknown as { nextId: number }).nextId = 0xffff_fffe;
    const noop = { kind: 'ping', startMs: 0, settle() {}, fail() {} };
    const a = t.allocate();
    t.add({ id: a, ...noop });
    const b = t.allocate();
    t.add({ id: b, ...noop });
    const c = t.allocate();
    expect([a, b, c]).toEqual([0xffff_fffe, 0xffff_ffff, 1]);
    t.add({ id: c, ...noop });
    (t as unknown as { nextId: number }).nextId = 0xffff_fffe;
    expect(t.allocate()).toBe(2); // 0xfffffffe, 0xffffffff and 1 are pending; 0 is never used
  });

  it('a cancelled id is remembered so a late answer is not a protocol error', () => {
    const t = new RequestTracker(2);
    t.add({ id: 5, kind: 'ping', startMs: 0, settle() {}, fail() {} });
    t.take(5, true);
    expect(t.wasCancelled(5)).toBe(true);
    expect(t.wasCancelled(6)).toBe(false);
  });
});

describe('reconnect backoff', () => {
  it('stays within [0.5, 1] × min(max, base · 2^n)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 60 }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        (n, r) => {
          const q = new ReconnectQueue({
            baseMs: 1000,
            maxMs: 300_000,
            stableMs: 10_000,
            dial: async () => undefined,
            isConnected: () => true,
            random: () => r,
          });
          const cap = Math.min(300_000, 1000 * 2 ** n);
          const d = q.delayFor(n);
          return d >= Math.floor(cap * 0.5) && d <= cap;
        },
      ),
    );
  });

  it('one owner per address: repeated losses schedule one timer, not many', async () => {
    vi.useFakeTimers();
    try {
      let dials = 0;
      const q = new ReconnectQueue({
        baseMs: 10,
        maxMs: 20,
        stableMs: 1000,
        random: () => 1, // delays 10, 20, 20, … ms exactly
        now: () => Date.now(),
        dial: async () => {
          dials++;
          throw new Error('down');
        },
        isConnected: () => false,
      });
      q.add('127.0.0.1:1');
      for (let i = 0; i < 50; i++) q.lost('127.0.0.1:1');
      await vi.advanceTimersByTimeAsync(50);
      q.stop();
      // The dial at add, then one timer at a time: at 10, 30 and 50 ms. Fifty losses, one owner.
      expect(dials).toBe(4);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('dial queue', () => {
  it('joins a pending dial to the same address and bounds the pending count', async () => {
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const q = new DialQueue<string>(2, async (address) => {
      runs++;
      await gate;
      return address;
    });
    const first = q.dial('a:1');
    const joined = q.dial('a:1');
    expect(joined.joined).toBe(true);
    expect(joined.promise).toBe(first.promise);
    q.dial('b:1').promise.catch(() => undefined);
    await expect(q.dial('c:1').promise).rejects.toMatchObject({ code: 'DIAL_QUEUE_FULL' });
    release();
    expect(await first.promise).toBe('a:1');
    expect(runs).toBe(2);
  });
});

describe('addresses', () => {
  it('parse and format host:port and [v6]:port', () => {
    expect(parseAddress('127.0.0.1:24000')).toEqual({ host: '127.0.0.1', port: 24000 });
    expect(parseAddress('[::1]:5')).toEqual({ host: '::1', port: 5 });
    expect(formatAddress('::1', 5)).toBe('[::1]:5');
    for (const bad of ['127.0.0.1', '1.2.3.4:0', '1.2.3.4:70000', ':5', '::1:5']) {
      expect(() => parseAddress(bad)).toThrow(RangeError);
    }
  });

  it('the address book is bounded and evicts the worst entry', () => {
    const book = new AddressBook({ maxEntries: 3 });
    for (let i = 1; i <= 3; i++) book.add(`10.0.0.${i}:1`, { lastSeenMs: i });
    book.markFailure('10.0.0.2:1');
    expect(book.add('10.0.0.9:1', { lastSeenMs: 9 })).toBe(true);
    expect(book.size).toBe(3);
    expect(book.get('10.0.0.2:1')).toBeUndefined();
    for (let i = 0; i < 5; i++) book.markFailure('10.0.0.1:1');
    expect(book.get('10.0.0.1:1')).toBeUndefined(); // dropped after maxFailures
    expect(book.add('not an address')).toBe(false);
  });
});
