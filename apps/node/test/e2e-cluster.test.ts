import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BlockchainInfo, RpcCallError, type TransactionView } from '../src/internal.js';
import { agreeAtLeast, type E2eNode, infos, layoutCluster, startNode, until } from './e2e-helpers.js';
import { cleanEnv, killAll, runCli } from './helpers.js';

/**
 * Three real `tc-node start` processes (built dist/cli.js) on 127.0.0.1, all validators of one
 * devnet genesis with 400 ms slots. The tests run in order on the same cluster.
 */
const SLOT_MS = 400;
let dir: string;
let nodes: E2eNode[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tc-e2e-cluster-'));
  nodes = await layoutCluster(join(dir, 'net'), 3, SLOT_MS);
  await Promise.all(nodes.map((n) => startNode(n, dir)));
}, 60_000);

afterAll(() => {
  killAll();
  rmSync(dir, { recursive: true, force: true });
});

describe('e2e: a three-node cluster', () => {
  it('produces blocks, agrees on the tip, and mines a transaction sent through RPC on all three', async () => {
    await agreeAtLeast(nodes, 3, 30_000);
    const [n0, n1] = nodes as [E2eNode, E2eNode];
    const to = 'ab'.repeat(32);
    // node 0's key is funded by the genesis; send through node 1's RPC.
    const sent = await runCli(
      [
        'tx',
        'send',
        '--from',
        join(n0.datadir, 'node-key.json'),
        '--to',
        to,
        '--amount',
        '777',
        '--fee',
        '3',
        '--rpc-url',
        n1.url,
      ],
      { cwd: dir, env: cleanEnv(dir) },
    );
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    const txid = sent.stdout.trim();
    expect(txid).toMatch(/^[0-9a-f]{64}$/);
    const mined = await until(
      'the transaction in a block on every node',
      async () => {
        const views = await Promise.all(
          nodes.map((n) => n.rpc.call<TransactionView>('gettransaction', [txid])),
        );
        const first = views[0];
        return first?.blockHash && views.every((v) => v.blockHash === first.blockHash) ? views : undefined;
      },
      30_000,
    );
    expect(mined[0]?.outputs[0]).toEqual({ recipient: to, value: '777' });
    const block = await n0.rpc.call<{ txids: string[] }>('getblock', [mined[0]?.blockHash, 1]);
    expect(block.txids).toContain(txid);
    for (const n of nodes) {
      const balance = await n.rpc.call<{ balance: string; utxos: number }>('getbalance', [to]);
      expect(balance).toMatchObject({ balance: '777', utxos: 1 });
    }
    // The same transaction again is already known (-27).
    const hex = mined[0]?.hex as string;
    await expect(n1.rpc.call('sendrawtransaction', [hex])).rejects.toMatchObject({ rpcCode: -27 });
  });

  it('getblockarrivals: each node records its own blocks as local and the others as from the peer that sent them', async () => {
    type Arrival = {
      hash: string;
      height: number;
      blockTimeMs: number;
      connectedAtMs: number;
      source: string;
      fromPeer?: string;
    };
    const lists = await Promise.all(nodes.map((n) => n.rpc.call<Arrival[]>('getblockarrivals', [512])));
    const ids = await Promise.all(nodes.map((n) => n.rpc.call<{ nodeId: string }>('getnetworkinfo')));
    const byHash = new Map<string, Arrival[]>();
    for (const list of lists) {
      expect(list.length).toBeGreaterThan(0);
      for (let i = 1; i < list.length; i++)
        expect(list[i]!.connectedAtMs).toBeGreaterThanOrEqual(list[i - 1]!.connectedAtMs);
      for (const a of list) byHash.set(a.hash, [...(byHash.get(a.hash) ?? []), a]);
    }
    // A block all three connected: exactly one of them produced it, the others name a peer of theirs.
    const shared = [...byHash.values()].find((as) => as.length === 3 && as.every((a) => a.source !== 'sync'));
    expect(shared).toBeDefined();
    expect(shared!.filter((a) => a.source === 'local')).toHaveLength(1);
    const peerIds = new Set(ids.map((i) => i.nodeId));
    for (const a of shared!.filter((x) => x.source !== 'local'))
      expect(peerIds.has(a.fromPeer ?? '')).toBe(true);
    await expect(nodes[0]!.rpc.call('getblockarrivals', [0])).rejects.toMatchObject({ rpcCode: -32602 });
  });

  it('a node killed with SIGKILL restarts from its data directory and resyncs to the others', async () => {
    const victim = nodes[2] as E2eNode;
    const others = nodes.slice(0, 2);
    const before = (await victim.rpc.call<BlockchainInfo>('getblockchaininfo')).height;
    victim.proc?.child.kill('SIGKILL');
    const killed = await victim.proc?.done;
    expect(killed?.signal).toBe('SIGKILL');
    // The two survivors keep producing (attempt advance covers the dead validator's turns).
    const ahead = await until(
      'the survivors to move 5 blocks past the victim',
      async () => {
        const [a] = await infos(others);
        return a && a.height >= before + 5 ? a.height : undefined;
      },
      30_000,
    );
    await startNode(victim, dir);
    const restarted = await victim.rpc.call<BlockchainInfo>('getblockchaininfo');
    // It kept its chain (no resync from genesis) ...
    expect(restarted.height).toBeGreaterThanOrEqual(before);
    // ... and catches up with the others.
    const agreed = await agreeAtLeast(nodes, ahead, 30_000);
    expect(agreed.height).toBeGreaterThanOrEqual(ahead);
  });

  it('addnode, disconnectnode and getpeerinfo go through the registry', async () => {
    const [n0, n1] = nodes as [E2eNode, E2eNode];
    const peers =
      await n0.rpc.call<
        { id: string; address: string; height: number; bytesSent: number; bytesReceived: number }[]
      >('getpeerinfo');
    expect(peers).toHaveLength(2);
    // Counted per session by the registry (they were 0 before it did).
    for (const p of peers) expect(Math.min(p.bytesSent, p.bytesReceived)).toBeGreaterThan(0);
    const cfg = JSON.parse(readFileSync(n0.configFile, 'utf8')) as { p2p: { peers: string[] } };
    // A configured peer counts as added; an unreachable address fails a one-off dial.
    await expect(n0.rpc.call('addnode', [cfg.p2p.peers[0], 'add'])).rejects.toMatchObject({ rpcCode: -23 });
    await expect(n0.rpc.call('addnode', ['127.0.0.1:1', 'onetry'])).rejects.toMatchObject({ rpcCode: -1 });
    await expect(n0.rpc.call('addnode', ['127.0.0.1:1', 'remove'])).rejects.toMatchObject({ rpcCode: -24 });
    // Disconnect node 1 by its id (= the address of its key); the configured peers redial.
    const id1 = (await n1.rpc.call<{ nodeId: string }>('getnetworkinfo')).nodeId;
    expect(peers.map((p) => p.id)).toContain(id1);
    expect(await n0.rpc.call('disconnectnode', [id1])).toBeNull();
    await until(
      'node 1 to be connected again',
      async () => (await n0.rpc.call<{ id: string }[]>('getpeerinfo')).some((p) => p.id === id1),
      20_000,
    );
    await agreeAtLeast(nodes, 1, 20_000);
  });

  it('SIGTERM while RPC requests are in flight: every call is answered or refused cleanly, exit 0 within the bound', async () => {
    const n = nodes[0] as E2eNode;
    let stop = false;
    const outcomes: string[] = [];
    const worker = async () => {
      for (let i = 0; i < 500 && !stop; i++) {
        try {
          await n.rpc.call('getblock', [0, 2]);
          await n.rpc.call('getbalance', ['ab'.repeat(32)]);
          outcomes.push('ok');
        } catch (error) {
          const m = error instanceof RpcCallError ? `rpc ${error.rpcCode}` : (error as Error).message;
          outcomes.push(m);
          if (!(error instanceof RpcCallError)) stop = true; // the server is gone
        }
      }
    };
    const workers = Array.from({ length: 8 }, worker);
    await until('some answered calls', async () => outcomes.length >= 16, 10_000, 20);
    n.proc?.child.kill('SIGTERM');
    const exit = await n.proc?.done;
    stop = true;
    await Promise.all(workers);
    expect(exit?.code).toBe(0);
    const done = /"ms":(\d+),"exitCode":0,"msg":"shutdown complete"/.exec(exit?.stdout ?? '');
    expect(done).not.toBeNull();
    // The node's own report: every step finished inside the 5 s default bound.
    expect(Number(done?.[1])).toBeLessThan(5000);
    for (const o of outcomes)
      expect(o).toMatch(/^(ok|rpc -32004|.*ECONNREFUSED|.*ECONNRESET|.*socket hang up)$/);
  });
});
