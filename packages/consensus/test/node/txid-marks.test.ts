import { afterEach, describe, expect, it, vi } from 'vitest';
import { MARK_HAS, MARK_KNOWN, PeerAnnouncer, TxidMarks } from '../../src/internal.js';

const txid = (n: number) => {
  const id = new Uint8Array(32);
  new DataView(id.buffer).setUint32(0, n * 2_654_435_761, true); // spread over the key bits
  id[31] = n & 0xff;
  return id;
};

describe('TxidMarks', () => {
  it('accumulates marks per id and reports what an id had before', () => {
    const marks = new TxidMarks(8);
    expect(marks.mark(txid(1), MARK_KNOWN)).toBe(0);
    expect(marks.get(txid(1))).toBe(MARK_KNOWN);
    expect(marks.mark(txid(1), MARK_HAS)).toBe(MARK_KNOWN);
    expect(marks.get(txid(1))).toBe(MARK_KNOWN | MARK_HAS);
    expect(marks.get(txid(2))).toBe(0);
  });

  it('holds at most `capacity` ids and forgets the oldest first', () => {
    const marks = new TxidMarks(100);
    for (let n = 0; n < 1_000; n++) marks.mark(txid(n), MARK_KNOWN);
    expect(marks.size).toBe(100);
    expect(marks.get(txid(899))).toBe(0);
    for (let n = 900; n < 1_000; n++) expect(marks.get(txid(n))).toBe(MARK_KNOWN);
    // Marking a held id again takes no new slot, so it does not push another out.
    marks.mark(txid(950), MARK_HAS);
    expect(marks.get(txid(900))).toBe(MARK_KNOWN);
  });

  it('refuses a capacity out of range and an id too short to key', () => {
    expect(() => new TxidMarks(0)).toThrow(RangeError);
    expect(() => new TxidMarks(8).mark(new Uint8Array(3), MARK_KNOWN)).toThrow(RangeError);
  });
});

describe('PeerAnnouncer', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  function announcer() {
    const sent: { peer: string; count: number }[] = [];
    const a = new PeerAnnouncer({
      windowMs: 100,
      maxIdsPerMessage: 1_024,
      maxQueuedPerPeer: 4_096,
      knownPerPeer: 8_192,
      send: async (peer, ids) => {
        sent.push({ peer, count: ids.length });
      },
    });
    return { a, sent };
  }

  it('sends the ids queued within one window in one message, each id once', async () => {
    vi.useFakeTimers();
    const { a, sent } = announcer();
    a.queue('p', [txid(1), txid(2)], false);
    a.queue('p', [txid(2), txid(3)], false);
    await vi.advanceTimersByTimeAsync(100);
    expect(sent).toEqual([{ peer: 'p', count: 3 }]);
    a.queue('p', [txid(1)], false);
    await vi.advanceTimersByTimeAsync(100);
    expect(sent).toHaveLength(1);
    a.stop();
  });

  it('never announces to a peer the ids it holds, not even when forced', async () => {
    vi.useFakeTimers();
    const { a, sent } = announcer();
    a.markHeld('p', txid(1));
    a.queue('p', [txid(1), txid(2)], true);
    await vi.advanceTimersByTimeAsync(100);
    expect(sent).toEqual([{ peer: 'p', count: 1 }]);
    // A forced re-announcement repeats what the peer was only told of.
    a.queue('p', [txid(1), txid(2)], true);
    await vi.advanceTimersByTimeAsync(100);
    expect(sent).toEqual([
      { peer: 'p', count: 1 },
      { peer: 'p', count: 1 },
    ]);
    a.stop();
  });
});
