import { describe, expect, it } from 'vitest';
import { PendingDials } from '../../src/connect/pending-dials.js';

describe('pending dials', () => {
  it('joins a pending dial to the same address and bounds the pending count', async () => {
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const q = new PendingDials<string>(2, async (address) => {
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
