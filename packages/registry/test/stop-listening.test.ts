import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { addr, startNode, stopAll } from './helpers.js';

afterEach(stopAll);

describe('stopListening', () => {
  it('refuses new inbound connections while live sessions keep working', async () => {
    const a = await startNode();
    const b = await startNode();
    await b.dial(addr(a));
    const { port } = a.address()!;
    a.stopListening();
    a.stopListening(); // idempotent
    const refused = await new Promise<string>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
    const tip = await b.request(a.nodeId, { kind: 'getChainTip', body: {} }, { timeoutMs: 2000 });
    expect(tip.height.toString()).toBe('0');
    await a.stop(); // stop() after stopListening() still closes everything
    expect(a.peers()).toEqual([]);
  });
});
