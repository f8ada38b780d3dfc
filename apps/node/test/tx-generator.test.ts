import { waitFor } from '@tc/test-utils';
import { describe, expect, it } from 'vitest';
import type { DevnetNode } from '../src/devnet/nodes.js';
import { TxGenerator } from '../src/devnet/tx-generator.js';
import { generateNodeKey, NotWiredError, RpcCallError, type RpcClient } from '../src/internal.js';

function node(index: number, call: (method: string, params: unknown[]) => Promise<unknown>): DevnetNode {
  return {
    index,
    datadir: '/nowhere',
    key: generateNodeKey(),
    p2pAddr: `127.0.0.1:${1000 + index}`,
    rpcAddr: `127.0.0.1:${index}`,
    rpc: { call } as unknown as RpcClient,
    view: { index, rpc: '', up: true },
  };
}

describe('TxGenerator', () => {
  it('submits built transactions through nodes that are up and counts accepted and rejected', async () => {
    const submitted: unknown[] = [];
    let n = 0;
    const call = async (method: string, params: unknown[]) => {
      expect(method).toBe('sendrawtransaction');
      submitted.push(params[0]);
      if (++n % 2 === 0) throw new RpcCallError(method, -25, 'rejected');
      return 'aa'.repeat(32);
    };
    const nodes = [node(0, call), node(1, call)];
    const gen = new TxGenerator(nodes, 100, async (req) => {
      expect(req.amount).toBe(1n);
      return { hex: '00ff', txid: 'bb'.repeat(32) };
    });
    gen.start();
    await waitFor(() => gen.sent >= 2 && gen.rejected >= 2, 5_000, 'two sent and two rejected');
    gen.stop();
    expect(gen.sent).toBeGreaterThanOrEqual(2);
    expect(gen.rejected).toBeGreaterThanOrEqual(2);
    expect(submitted.every((h) => h === '00ff')).toBe(true);
    expect(gen.takeWindow()).toBe(gen.sent);
    expect(gen.takeWindow()).toBe(0);
  });

  it('turns itself off when the builder is not wired', async () => {
    const gen = new TxGenerator([node(0, async () => 'x')], 100, async () => {
      throw new NotWiredError('building and signing a transaction');
    });
    gen.start();
    await waitFor(() => gen.disabled !== undefined, 5_000, 'the generator disabled');
    gen.stop();
    expect(gen.disabled).toBe(
      'transaction generator off: building and signing a transaction: not yet wired (needs @tc/consensus)',
    );
    expect(gen.sent).toBe(0);
  });
});
