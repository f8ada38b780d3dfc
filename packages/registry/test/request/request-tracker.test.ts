import { describe, expect, it } from 'vitest';
import { RequestTracker } from '../../src/request/request-tracker.js';

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
