import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NetemProxy } from '@tc/netem';
import {
  addressOfPublicKey,
  createDevnetGenesis,
  generateNodeKey,
  initDatadir,
  type NodeKey,
  RpcClient,
  rpcUrl,
  toHex,
} from '@tc/node';
import { NodeProcess, tcNodeCli } from './node-process.js';
import { Decoy, freePort, mapLimit, sleep } from './util.js';

/** What a chaos or soak run needs to know about where its cluster lives and who watches it. */
export interface ClusterRunOptions {
  /** Parent of the run's temp dir (default os.tmpdir()); the dir is removed unless `keepDir`. */
  readonly dir?: string;
  readonly keepDir?: boolean;
  readonly log?: (line: string) => void;
  /** Receives the cluster as soon as it exists (tests kill it in afterAll on failure). */
  readonly onCluster?: (c: Cluster) => void;
}

export interface ClusterOptions {
  readonly dir: string;
  readonly nodes: number;
  readonly slotMs: number;
  readonly seed: number;
  /** registry.pingIntervalMs of every node (dead links show after 3 missed pongs). */
  readonly pingIntervalMs?: number;
  /** tc-node executable; default @tc/node's dist/cli.js. */
  readonly cli?: string;
}

export interface ClusterNode {
  readonly index: number;
  readonly key: NodeKey;
  readonly address: string;
  readonly datadir: string;
  /** Where the node really listens: 127.0.0.<index+2>:port (only proxies connect there). */
  readonly p2p: { host: string; port: number };
  readonly rpc: RpcClient;
  /** RPC, /metrics and /health port on 127.0.0.1. */
  readonly rpcPort: number;
  readonly proc: NodeProcess;
}

/** Host of node i's p2p listener: its own loopback address, never 127.0.0.1. */
export const nodeHost = (i: number) => `127.0.0.${i + 2}`;

/**
 * A devnet of `nodes` real `tc-node` processes in which every node→node link is its own
 * NetemProxy: node i's configured peers are the proxies (i→j) in front of node j. Nodes listen on
 * 127.0.0.<i+2>; the address they advertise (127.0.0.1:<port>) is held by a Decoy, so a
 * discovered address never bypasses the proxies (Decoy.hits counts such dials).
 */
export class Cluster {
  readonly nodes: ClusterNode[] = [];
  /** links.get(`${i}>${j}`): the proxy node i dials to reach node j. */
  readonly links = new Map<string, NetemProxy>();
  readonly decoys: Decoy[] = [];
  readonly t0 = Date.now();
  readonly genesisFile: string;

  private constructor(readonly options: ClusterOptions) {
    this.genesisFile = join(options.dir, 'node-0', 'genesis.json');
  }

  static async create(options: ClusterOptions): Promise<Cluster> {
    const c = new Cluster(options);
    try {
      await c.layout();
    } catch (error) {
      await c.close();
      throw error;
    }
    return c;
  }

  link(i: number, j: number): NetemProxy {
    const p = this.links.get(`${i}>${j}`);
    if (!p) throw new Error(`no link ${i}>${j}`);
    return p;
  }

  /** Both proxies between a and b (a→b and b→a). */
  pair(a: number, b: number): NetemProxy[] {
    return [this.link(a, b), this.link(b, a)];
  }

  private async layout(): Promise<void> {
    const { dir, nodes: n, slotMs, seed } = this.options;
    const cli = this.options.cli ?? tcNodeCli();
    mkdirSync(dir, { recursive: true });
    const keys = Array.from({ length: n }, () => generateNodeKey());
    const genesis = createDevnetGenesis({ validators: keys.map((k) => toHex(k.publicKey)), slotMs });
    const ports: { p2p: number; rpc: number }[] = [];
    for (let i = 0; i < n; i++) {
      const p2p = await freePort();
      const decoy = new Decoy(p2p);
      await decoy.start();
      this.decoys.push(decoy);
      ports.push({ p2p, rpc: await freePort() });
    }
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (i === j) continue;
        const target = { host: nodeHost(j), port: (ports[j] as { p2p: number }).p2p };
        const proxy = new NetemProxy({ target, seed: seed * 1000 + i * 31 + j });
        await proxy.start();
        this.links.set(`${i}>${j}`, proxy);
      }
    }
    for (let i = 0; i < n; i++) {
      const key = keys[i] as NodeKey;
      const port = ports[i] as { p2p: number; rpc: number };
      const datadir = join(dir, `node-${i}`);
      const peers: string[] = [];
      for (let j = 0; j < n; j++) if (j !== i) peers.push(`127.0.0.1:${this.link(i, j).port}`);
      const init = initDatadir({
        network: 'devnet',
        datadir,
        key,
        genesis,
        p2pHost: nodeHost(i),
        p2pPort: port.p2p,
        rpcPort: port.rpc,
        peers,
      });
      const cfg = JSON.parse(readFileSync(init.configFile, 'utf8')) as Record<string, unknown>;
      const merged = {
        ...cfg,
        // Only the configured peers (our proxies) are dialled: a discovered address could be
        // another node's proxy and would route around a partition.
        p2p: { ...(cfg['p2p'] as Record<string, unknown>), discovery: false },
        // n nodes share the machine's cores: one validation worker each.
        pool: { size: 1 },
        log: { format: 'json', level: 'info' },
        // Every peer arrives from 127.0.0.1 (a proxy): loopback must skip the per-IP limits.
        registry: {
          pingIntervalMs: this.options.pingIntervalMs ?? 1000,
          banDurationMs: 60_000,
          exemptLoopback: true,
        },
      };
      writeFileSync(init.configFile, `${JSON.stringify(merged, null, 2)}\n`, { mode: 0o600 });
      this.nodes.push({
        index: i,
        key,
        address: addressOfPublicKey(key.publicKey),
        datadir,
        p2p: { host: nodeHost(i), port: port.p2p },
        rpc: new RpcClient({ url: rpcUrl('127.0.0.1', port.rpc), timeoutMs: 5000 }),
        rpcPort: port.rpc,
        proc: new NodeProcess(i, datadir, init.configFile, cli, this.t0),
      });
    }
  }

  /** Starts every node and waits until each answers RPC (bounded by `timeoutMs`). */
  async startAll(timeoutMs = 30_000): Promise<void> {
    for (const n of this.nodes) n.proc.spawn();
    await Promise.all(this.nodes.map((n) => this.waitRpc(n.index, timeoutMs)));
  }

  /** Polls getblockchaininfo every 100 ms until the node answers; throws after `timeoutMs` or if it exits. */
  async waitRpc(i: number, timeoutMs: number): Promise<void> {
    const n = this.nodes[i] as ClusterNode;
    const deadline = Date.now() + timeoutMs;
    for (let k = 0; k < Math.ceil(timeoutMs / 100) + 1; k++) {
      if (!n.proc.running) throw new Error(`node ${i} exited while starting (see ${n.datadir}/node.log)`);
      try {
        await n.rpc.call('getblockchaininfo');
        return;
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`node ${i} did not answer RPC within ${timeoutMs} ms`);
  }

  /** Every proxy back to a clean, uncut link. */
  healAll(): void {
    for (const p of this.links.values()) {
      p.clearFaults();
      p.restore();
    }
  }

  /** SIGTERM to every running node at once (SIGKILL after `timeoutMs`). */
  async stopAll(timeoutMs = 10_000): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.proc.stop(timeoutMs)));
  }

  /** Kills whatever still runs and closes every proxy and decoy. Safe to call twice. */
  async close(): Promise<void> {
    for (const n of this.nodes) n.proc.forceKill();
    await Promise.race([Promise.all(this.nodes.map((n) => n.proc.kill9())), sleep(3000)]);
    await mapLimit([...this.links.values()], 8, (p) => p.stop().catch(() => undefined));
    await Promise.all(this.decoys.map((d) => d.stop()));
    this.links.clear();
    this.decoys.length = 0;
  }
}
