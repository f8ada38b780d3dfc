import { afterEach, describe, expect, it } from 'vitest';
import { addr, startNode, stopAll, waitFor } from './helpers.js';

afterEach(stopAll);

describe('operator controls at run time', () => {
  it('banAddress closes every session from the address and refuses it until unbanAddress', async () => {
    const a = await startNode();
    const b = await startNode();
    await b.dial(addr(a));
    await waitFor(() => a.peers().length === 1);
    a.banAddress('127.0.0.1', 60_000, 'manual (test)');
    expect(a.bans().map((x) => x.key)).toContain('ip:127.0.0.1');
    await waitFor(() => a.peers().length === 0 && b.peers().length === 0);
    await expect(b.dial(addr(a))).rejects.toThrow();
    expect(a.peers()).toEqual([]);
    expect(a.unbanAddress('127.0.0.1')).toBe(true);
    expect(a.unbanAddress('127.0.0.1')).toBe(false);
    await b.dial(addr(a));
    await waitFor(() => a.peers().length === 1);
  });

  it('a persistent peer added while running is dialled and redialled; once removed it is not', async () => {
    const a = await startNode({ limits: { reconnectBaseMs: 50, reconnectMaxMs: 200 } });
    const b = await startNode();
    a.addPersistentPeer(addr(b));
    expect(a.persistentPeers()).toEqual([addr(b)]);
    await waitFor(() => a.peers().length === 1);
    b.disconnect(a.nodeId);
    await waitFor(() => a.peers().length === 0);
    await waitFor(() => a.peers().length === 1, 10_000); // redialled
    expect(a.removePersistentPeer(addr(b))).toBe(true);
    expect(a.removePersistentPeer(addr(b))).toBe(false);
    expect(a.persistentPeers()).toEqual([]);
    expect(() => a.addPersistentPeer('not an address')).toThrow();
  });

  it('peers() counts the bytes of each session both ways', async () => {
    const a = await startNode();
    const b = await startNode();
    await b.dial(addr(a));
    await waitFor(() => a.peers().length === 1);
    await b.request(a.nodeId, { kind: 'ping', body: {} }).catch(() => undefined);
    const [onA] = a.peers();
    const [onB] = b.peers();
    expect(onA!.bytesIn).toBeGreaterThan(0);
    expect(onA!.bytesOut).toBeGreaterThan(0);
    await waitFor(() => b.peers()[0]!.bytesIn >= a.peers()[0]!.bytesOut - 64); // the same bytes, seen from the other end
    expect(onB!.bytesOut).toBeGreaterThan(0);
  });
});
