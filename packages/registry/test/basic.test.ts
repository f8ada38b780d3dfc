import { message, u64 } from '@tc/wire';
import { afterEach, describe, expect, it } from 'vitest';
import { HandlerError, NotConnectedError, RemoteError } from '../src/internal.js';
import { addr, startNode, stopAll, waitFor } from './helpers.js';

afterEach(stopAll);

describe('PeerConnectionRegistry basics', () => {
  it('connects, reports peers on both sides, and answers getChainTip by request id', async () => {
    const a = await startNode({ getLocalTip: () => ({ height: 5, hash: new Uint8Array([1, 2]) }) });
    const b = await startNode();
    const connects: string[] = [];
    b.on('peer:connect', (info) => connects.push(info.id));
    const info = await b.dial(addr(a));
    expect(info.id).toBe(a.nodeId);
    expect(info.direction).toBe('outbound');
    await waitFor(() => a.peers().length === 1);
    expect(a.peers()[0]!.id).toBe(b.nodeId);
    expect(a.peers()[0]!.direction).toBe('inbound');
    expect(connects).toEqual([a.nodeId]);
    const tip = await b.request(a.nodeId, { kind: 'getChainTip', body: {} });
    expect(tip.height.toString()).toBe('5');
    expect(b.peer(a.nodeId)!.tip.height).toBe(5n);
  });

  it('handlers: return value is the response; a HandlerError becomes a RemoteError', async () => {
    const a = await startNode();
    const b = await startNode();
    a.handle('getBlockHash', (body) => {
      if (body.height.toNumber() > 10) throw new HandlerError('NOT_FOUND', 'no such block');
      return { height: body.height, hash: new Uint8Array([body.height.toNumber()]) };
    });
    await b.dial(addr(a));
    const ok = await b.request(a.nodeId, { kind: 'getBlockHash', body: { height: u64(3) } });
    expect([...ok.hash]).toEqual([3]);
    const err = await b
      .request(a.nodeId, { kind: 'getBlockHash', body: { height: u64(99) } })
      .catch((e) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect((err as RemoteError).replyName).toBe('NOT_FOUND');
    expect(() => a.handle('getBlockHash', () => ({}))).toThrow(/already registered/);
  });

  it('send/broadcast deliver message events; NotConnectedError for unknown peers', async () => {
    const a = await startNode();
    const b = await startNode();
    const c = await startNode();
    await b.dial(addr(a));
    await c.dial(addr(a));
    await waitFor(() => a.peers().length === 2);
    const got: string[] = [];
    b.on('message', (m) => got.push(`b:${m.kind}`));
    c.on('message', (m) => got.push(`c:${m.kind}`));
    expect(a.broadcast(message('txBroadcast', { txs: [] }), { except: [c.nodeId] })).toBe(1);
    await a.send(c.nodeId, message('blockAnnounce', { block: new Uint8Array(8) }));
    await waitFor(() => got.length === 2);
    expect(got.sort()).toEqual(['b:txBroadcast', 'c:blockAnnounce']);
    await expect(a.send('00'.repeat(32), message('txBroadcast', {}))).rejects.toBeInstanceOf(
      NotConnectedError,
    );
  });

  it('a throwing listener is contained: the session and the registry keep working', async () => {
    const a = await startNode();
    const b = await startNode();
    a.on('peer:connect', () => {
      throw new Error('buggy listener');
    });
    a.on('message', () => {
      throw new Error('buggy listener');
    });
    await b.dial(addr(a));
    await waitFor(() => a.peers().length === 1);
    await b.send(a.nodeId, message('txBroadcast', { txs: [] }));
    const tip = await a.request(b.nodeId, { kind: 'getChainTip', body: {} });
    expect(tip.height.toString()).toBe('0');
  });
});
