import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '@tc/test-utils';
import { type DevnetNode, layoutDevnet } from '../src/devnet/nodes.js';
import { type BlockchainInfo, RpcClient } from '../src/internal.js';
import { type CliChild, cleanEnv, startCli } from './helpers.js';

/**
 * End-to-end helpers: real `tc-node start` processes (the built dist/cli.js) on 127.0.0.1 with
 * free ports, one shared devnet genesis with fast slots, each node a validator, fully meshed.
 */

export interface E2eNode {
  readonly index: number;
  readonly datadir: string;
  readonly configFile: string;
  readonly rpc: RpcClient;
  readonly url: string;
  readonly layout: DevnetNode;
  proc?: CliChild;
}

/** Lays out `count` datadirs (keys, shared genesis with `slotMs`, configs meshed by --peer). */
export async function layoutCluster(
  dir: string,
  count: number,
  slotMs: number,
  configExtra: Record<string, unknown> = {},
): Promise<E2eNode[]> {
  const nodes = await layoutDevnet({ dir, count, slotMs, rpcTimeoutMs: 5000 });
  return nodes.map((n) => {
    const configFile = join(n.datadir, 'config.json');
    const cfg = JSON.parse(readFileSync(configFile, 'utf8'));
    // One worker per node: several nodes share the 2 cores of the test machine.
    const merged: Record<string, unknown> = { ...cfg, pool: { size: 1 }, log: { format: 'json' } };
    for (const [k, v] of Object.entries(configExtra)) {
      const old = merged[k];
      merged[k] = typeof old === 'object' && old !== null && typeof v === 'object' ? { ...old, ...v } : v;
    }
    writeFileSync(configFile, JSON.stringify(merged));
    return {
      index: n.index,
      datadir: n.datadir,
      configFile,
      rpc: n.rpc,
      url: `http://${n.rpcAddr}/`,
      layout: n,
    };
  });
}

/** Starts (or restarts) a node's process; resolves when it serves RPC. */
export async function startNode(n: E2eNode, home: string): Promise<CliChild> {
  const proc = startCli(['start', '--config', n.configFile], { cwd: home, env: cleanEnv(home) });
  n.proc = proc;
  await proc.waitFor(/tc-node ready/);
  return proc;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The shared waitFor over an RPC check: a throwing check (a node still starting) counts as
 * "not yet", and the last error is named if the bound passes.
 */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs: number,
  intervalMs = 200,
): Promise<T> {
  let last: unknown;
  const attempt = async () => {
    try {
      return await check();
    } catch (error) {
      last = error;
      return undefined;
    }
  };
  try {
    return (await waitFor(attempt, timeoutMs, what, intervalMs)) as T;
  } catch (error) {
    throw last ? new Error(`${(error as Error).message}: ${String(last)}`) : error;
  }
}

export async function infos(nodes: readonly E2eNode[]): Promise<BlockchainInfo[]> {
  return Promise.all(nodes.map((n) => n.rpc.call<BlockchainInfo>('getblockchaininfo')));
}

/** Waits until every node is at `minHeight` or above and all report the same tip. */
export async function agreeAtLeast(nodes: readonly E2eNode[], minHeight: number, timeoutMs: number) {
  return until(
    `tips to agree at height ≥ ${minHeight}`,
    async () => {
      const all = await infos(nodes);
      const first = all[0];
      return first && first.height >= minHeight && all.every((i) => i.bestBlockHash === first.bestBlockHash)
        ? first
        : undefined;
    },
    timeoutMs,
    100,
  );
}

export function rpcFor(url: string): RpcClient {
  return new RpcClient({ url, timeoutMs: 5000 });
}
