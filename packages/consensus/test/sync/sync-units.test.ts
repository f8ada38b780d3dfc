import { describe, expect, it } from 'vitest';
import { CONSENSUS_ERROR_ACTIONS, SYNC_ERROR_ACTIONS, SYNC_PEER_CODES } from '../../src/internal.js';
import { Batch } from '../../src/sync/batch.js';
import {
  MAX_IMPORT_RUN_BLOCKS,
  PREVALIDATE_AHEAD_BLOCKS,
  prevalidateAhead,
  readyRun,
  withinPrevalidateWindow,
} from '../../src/sync/batch-import.js';
import { reactionTo } from '../../src/sync/failure-policy.js';
import { PeerBalancer } from '../../src/sync/peer-balancer.js';
import { ProgressMeter } from '../../src/sync/progress-meter.js';

function balancer(opts: { quota?: { ratePerSec: number; burst: number }; connected?: Set<string> } = {}) {
  let now = 1_000;
  const b = new PeerBalancer({
    maxInflightPerPeer: 2,
    quota: opts.quota,
    isConnected: (id) => opts.connected?.has(id) ?? true,
    now: () => now,
    maxPeers: 3,
  });
  return { b, advance: (ms: number) => (now += ms) };
}

const peer = (peerId: string, height: number) => ({ peerId, height, hash: new Uint8Array(32) });

describe('sync units', () => {
  it('Batch: the state machine refuses out-of-order transitions', () => {
    const b = new Batch(0, 1, 64);
    expect(() => b.startProcessing()).toThrow(/AwaitingDownload, expected AwaitingProcessing/);
    b.startDownload('a', new AbortController(), 0);
    b.downloadFailed(true, true);
    expect(b.state).toBe('AwaitingDownload');
    expect([...b.failedPeers]).toEqual(['a']);
    expect(b.attempts).toBe(1);
    b.startDownload('b', new AbortController(), 0);
    b.downloaded([new Uint8Array(10), new Uint8Array(5)]);
    expect(b.bytes).toBe(15);
    b.startProcessing();
    b.processingFailed(30); // blocks 1..29 imported, 30 was invalid
    expect(b).toMatchObject({ state: 'AwaitingDownload', start: 30, end: 64, attempts: 2, bytes: 0 });
    expect([...b.failedPeers].sort()).toEqual(['a', 'b']);
  });

  it('import runs: consecutive downloaded batches from the head, bounded; prevalidation across gaps, bounded, once', () => {
    const batches = Array.from({ length: 20 }, (_, i) => new Batch(i, 1 + 64 * i, 64 * (i + 1)));
    const ready = (b: Batch) => {
      b.startDownload('p', new AbortController(), 0);
      b.downloaded(Array.from({ length: b.count }, () => new Uint8Array(1)));
    };
    expect(readyRun(batches)).toEqual([]); // the head is not downloaded
    for (const b of batches.slice(0, 6)) ready(b);
    ready(batches[7]!); // after a gap: not in the run, but prevalidated
    const run = readyRun(batches);
    expect(run).toEqual(batches.slice(0, MAX_IMPORT_RUN_BLOCKS / 64));
    const started: Uint8Array[][] = [];
    const startHeights: (number | undefined)[] = [];
    const target = {
      tip: () => ({ height: 0, hash: new Uint8Array(32) }),
      importBlocks: async () => ({ imported: 0 }),
      prevalidate: (blocks: readonly Uint8Array[], startHeight?: number) => {
        started.push([...blocks]);
        startHeights.push(startHeight);
      },
    };
    for (const b of run) b.startProcessing();
    prevalidateAhead(batches, target);
    // The downloaded batches after the running ones, across the gap (batch 6 still downloading),
    // each with its first height (the pool checks lower blocks first).
    expect(started).toHaveLength(3);
    expect(startHeights).toEqual([batches[4]!.start, batches[5]!.start, batches[7]!.start]);
    expect(batches[4]!.prevalidated && batches[5]!.prevalidated && batches[7]!.prevalidated).toBe(true);
    expect(batches[6]!.prevalidated).toBeFalsy();
    prevalidateAhead(batches, target);
    expect(started).toHaveLength(3); // once per download
    // A long ready tail: only PREVALIDATE_AHEAD_BLOCKS blocks of it.
    for (const b of [batches[6]!, ...batches.slice(8)]) ready(b);
    prevalidateAhead(batches, target);
    expect(started.flat().length).toBe(PREVALIDATE_AHEAD_BLOCKS);
    // Streaming prevalidation (of a batch still downloading) keeps to the same window.
    const downloading = new Batch(99, 1, 64);
    expect(withinPrevalidateWindow([downloading], downloading)).toBe(true);
    expect(withinPrevalidateWindow([...batches, downloading], downloading)).toBe(false);
    expect(withinPrevalidateWindow(batches, batches[4]!)).toBe(true);
    expect(withinPrevalidateWindow(batches, batches[19]!)).toBe(false);
  });

  it('PeerBalancer: height cover, failed peers, in-flight balance, connection', () => {
    const connected = new Set(['a', 'b', 'c']);
    const { b } = balancer({ connected });
    expect(b.upsert([peer('a', 100), peer('b', 500), peer('c', 500), peer('d', 900)])).toBe(500); // maxPeers 3
    const high = new Batch(0, 200, 263);
    const first = b.pick(high)!;
    expect(['b', 'c']).toContain(first.id); // a's height does not cover 263
    b.charge(first, high.count);
    const second = b.pick(high)!;
    expect(second.id).not.toBe(first.id); // fewer in flight wins
    high.failedPeers.add('b');
    high.failedPeers.add('c');
    expect(b.pick(high)).toBeUndefined();
    expect(b.canServe(high)).toBe(false);
    const low = new Batch(1, 1, 64);
    connected.delete('a');
    expect(b.pick(low)?.id).not.toBe('a');
  });

  it('PeerBalancer: paces each peer under its quota and says when to retry', () => {
    const { b, advance } = balancer({ quota: { ratePerSec: 100, burst: 128 } });
    b.upsert([peer('a', 1_000)]);
    const batch = new Batch(0, 1, 64);
    const a = b.pick(batch)!;
    b.charge(a, 64);
    b.release(a);
    b.charge(a, 64); // the burst of 128 is spent
    b.release(a);
    expect(b.pick(batch)).toBeUndefined();
    const wake = b.wakeAt(64)!;
    advance(wake - 1_000);
    expect(b.pick(batch)?.id).toBe('a');
    b.coolDown(a, 500);
    advance(10_000 - 500);
    expect(b.pick(batch)).toBeDefined();
  });

  it('PeerBalancer: a cooldown that ran out between pick and wakeAt still wakes the sync (now), never no timer', () => {
    const { b, advance } = balancer();
    b.upsert([peer('a', 1_000)]);
    const batch = new Batch(0, 1, 64);
    const a = b.pick(batch)!;
    b.coolDown(a, 100);
    expect(b.pick(batch)).toBeUndefined(); // cooling: the sync arms its wake-up next
    advance(150); // a late event loop: the cooldown is over before wakeAt is asked
    const wake = b.wakeAt(64);
    expect(wake).toBeDefined(); // it was undefined here, and the sync waited for ever
    expect(b.pick(batch)?.id).toBe('a');
    b.charge(a, 64);
    b.charge(a, 64); // every peer busy: their downloads' ends pump, no timer needed
    expect(b.wakeAt(64)).toBeUndefined();
  });

  it('failure policy: empty/short/bad are reported and blamed; rate limits and excused lag are not', () => {
    const ctx = { stalled: false, stallExcused: false, timeoutExcused: false };
    expect(reactionTo('empty', ctx)).toMatchObject({ blame: true, report: 'SYNC_EMPTY_BATCH' });
    expect(reactionTo('short', ctx)).toMatchObject({ blame: true, report: 'SYNC_SHORT_BATCH' });
    expect(reactionTo('bad', ctx)).toMatchObject({ blame: true, report: 'SYNC_BAD_BATCH' });
    expect(reactionTo('timeout', ctx)).toMatchObject({ blame: true, report: 'REQUEST_TIMEOUT' });
    expect(reactionTo('timeout', { ...ctx, timeoutExcused: true })).toMatchObject({
      blame: false,
      report: undefined,
    });
    expect(reactionTo('rate_limited', ctx)).toMatchObject({ blame: false, coolDown: true });
    expect(reactionTo('aborted', { ...ctx, stalled: true })).toMatchObject({
      blame: true,
      outcome: 'stalled',
    });
    expect(reactionTo('aborted', { ...ctx, stalled: true, stallExcused: true }).blame).toBe(false);
    for (const code of SYNC_PEER_CODES) {
      expect((CONSENSUS_ERROR_ACTIONS as Record<string, unknown>)[code]).toBe(SYNC_ERROR_ACTIONS[code]);
    }
  });

  it('ProgressMeter: rate over the window, throttled emission', () => {
    const m = new ProgressMeter(0, 0, 5_000);
    m.record(1_000, 100);
    m.record(2_000, 300);
    expect(m.rate()).toBe(150);
    m.record(9_000, 1_000); // samples older than now - 5 s go (two are always kept)
    expect(m.rate()).toBe(100);
    expect(m.due(9_000, 250)).toBe(true);
    m.emitted(9_000);
    expect(m.due(9_100, 250)).toBe(false);
    expect(m.due(9_250, 250)).toBe(true);
  });
});
