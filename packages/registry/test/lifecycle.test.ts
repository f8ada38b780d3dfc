import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { BanRecord, BanStore, PeerRecord } from '../src/internal.js';
import { addr, startNode, stopAll, waitFor } from './helpers.js';

afterEach(stopAll);

function tcpHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP')).length;
}

describe('lifecycle, discovery, persistence, metrics', () => {
  it('stop() sends Disconnect{SHUTDOWN} to every peer and leaves no socket behind', async () => {
    const before = tcpHandles();
    const a = await startNode();
    const b = await startNode();
    const c = await startNode();
    await b.dial(addr(a));
    await c.dial(addr(a));
    const reasons: string[] = [];
    b.on('peer:disconnect', (e) => reasons.push(e.reason));
    c.on('peer:disconnect', (e) => reasons.push(e.reason));
    await a.stop();
    await waitFor(() => reasons.length === 2);
    expect(reasons).toEqual(['remote:shutdown', 'remote:shutdown']);
    await stopAll();
    await waitFor(() => tcpHandles() <= before, 3_000, 'sockets released');
  });

  it('discovery asks peers for addresses and dials up to the outbound target', async () => {
    const hub = await startNode();
    const others = await Promise.all([0, 1, 2].map(() => startNode()));
    for (const o of others) await o.dial(addr(hub));
    const fresh = await startNode({ discovery: true, limits: { outboundTarget: 3, discoveryIntervalMs: 0 } });
    await fresh.dial(addr(hub));
    await waitFor(() => hub.peers().length === 4);
    await fresh.discover();
    const ids = new Set(fresh.peers().map((p) => p.id));
    expect(ids.size).toBeGreaterThanOrEqual(3);
    expect(fresh.addresses().length).toBeGreaterThanOrEqual(3);
    expect(fresh.addresses().length).toBeLessThanOrEqual(1000);
  });

  it('bans and addresses are persisted through the injected stores and loaded at start', async () => {
    const bans = new Map<string, BanRecord>();
    const peers = new Map<string, PeerRecord>();
    const banStore: BanStore = {
      listBans: () => [...bans.values()],
      putBan: (r) => void bans.set(r.key, r),
      deleteBan: (k) => void bans.delete(k),
    };
    const addressBookStore = {
      listPeers: () => [...peers.values()],
      putPeer: (r: PeerRecord) => void peers.set(r.address, r),
      deletePeer: (a: string) => void peers.delete(a),
    };
    const a = await startNode({ banStore, addressBookStore });
    const b = await startNode();
    await a.dial(addr(b));
    expect(peers.get(addr(b))?.nodeId).toBe(b.nodeId);
    a.ban('ab'.repeat(32), 60_000, 'test');
    expect(bans.has(`node:${'ab'.repeat(32)}`)).toBe(true);
    const again = await startNode({ banStore, addressBookStore });
    expect(again.bans().map((r) => r.key)).toContain(`node:${'ab'.repeat(32)}`);
    expect(again.addresses().map((r) => r.address)).toContain(addr(b));
  });

  it('metrics land on the prom-client registry passed in', async () => {
    const metrics = new Registry();
    const a = await startNode({ metricsRegistry: metrics });
    const b = await startNode();
    await a.dial(addr(b));
    await a.request(b.nodeId, { kind: 'getChainTip', body: {} });
    const text = await metrics.metrics();
    for (const name of [
      'tc_registry_connections{direction="outbound"} 1',
      'tc_registry_requests_total{kind="getChainTip",outcome="ok"} 1',
      'tc_registry_bytes_total{direction="in"}',
      'tc_registry_messages_total{direction="out",kind="getChainTip"} 1',
      'tc_registry_request_seconds_bucket',
      'tc_registry_dials_total{outcome="ok"} 1',
    ]) {
      expect(text).toContain(name);
    }
  });

  it('reportPeer goes through the error table: an extension code can ban', async () => {
    const a = await startNode({ errorActions: { INVALID_BLOCK: { action: 'ban', banMs: 60_000 } } });
    const b = await startNode();
    await a.dial(addr(b));
    const decision = a.reportPeer(b.nodeId, 'INVALID_BLOCK', 'bad merkle root');
    expect(decision.action).toBe('ban');
    await waitFor(() => a.peers().length === 0 && b.peers().length === 0);
    expect(a.bans().map((r) => r.key)).toContain(`node:${b.nodeId}`);
    expect(a.reportPeer(b.nodeId, 'UNKNOWN_KIND').action).toBe('ignore');
  });
});
