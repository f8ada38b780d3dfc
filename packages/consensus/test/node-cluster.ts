import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeIdentity, PeerConnectionRegistry } from '@tc/registry';
import { waitFor as sharedWaitFor } from '@tc/test-utils';
import {
  addressOf,
  buildBlock,
  ConsensusNode,
  type ConsensusNodeOptions,
  type GenesisConfig,
  genesisHash,
  type HeaderRef,
  type KeyPair,
  leaderIndex,
  resolveGenesisConfig,
  type StatelessValidator,
  toHex,
  ValidationPool,
} from '../src/internal.js';
import { seedKey, WORKER, wallets } from './helpers.js';

/**
 * In-process test nodes: each with its own registry on 127.0.0.1 (port 0) and its own LMDB
 * store in a temp dir; one shared 1-worker ValidationPool spares the 2 cores.
 */
export class TestCluster {
  readonly nodes: ConsensusNode[] = [];
  readonly validatorKeys: KeyPair[];
  readonly genesis: GenesisConfig;
  private readonly dirs: string[] = [];
  private pool: ValidationPool | undefined;
  private readonly bare: PeerConnectionRegistry[] = [];

  constructor(opts: { validators: number; slotMs?: number; genesisOffsetMs?: number }) {
    this.validatorKeys = Array.from({ length: opts.validators }, (_, i) => seedKey(60 + i));
    const slotMs = opts.slotMs ?? 250;
    this.genesis = resolveGenesisConfig({
      networkId: 'tc-cluster',
      validators: this.validatorKeys.map((k) => toHex(k.publicKey)),
      slotMs,
      leaderTimeoutMs: slotMs,
      blockReward: 50n,
      allocations: wallets.map((w) => ({ recipient: toHex(addressOf(w.publicKey)), value: 1_000_000n })),
      timestampMs: Date.now() + (opts.genesisOffsetMs ?? 0),
    });
  }

  get validator(): StatelessValidator {
    this.pool ??= new ValidationPool({ threads: 1, maxQueue: 512, workerFilename: WORKER });
    return this.pool;
  }

  /** Starts a node; `validatorIndex` makes it produce with that validator's key. */
  async add(
    opts: { validatorIndex?: number } & Partial<Omit<ConsensusNodeOptions, 'genesis'>> = {},
  ): Promise<ConsensusNode> {
    const dir = mkdtempSync(join(tmpdir(), 'tc-node-'));
    this.dirs.push(dir);
    const { validatorIndex, registryOptions, ...rest } = opts;
    const node = await ConsensusNode.create({
      genesis: this.genesis,
      identity: NodeIdentity.generate(),
      dataDir: dir,
      listen: { host: '127.0.0.1', port: 0 },
      validator: this.validator,
      forkCheckIntervalMs: 400,
      requestTimeoutMs: 2_000,
      closeTimeoutMs: 2_000,
      ...(validatorIndex !== undefined ? { validatorKey: this.validatorKeys[validatorIndex]! } : {}),
      ...rest,
      registryOptions: {
        exemptLoopback: true,
        discovery: false,
        admission: { maxInbound: 1_000, maxOutbound: 1_000, maxPendingInbound: 1_000 },
        ...registryOptions,
        limits: { closeTimeoutMs: 500, ...registryOptions?.limits },
      },
    });
    await node.start();
    this.nodes.push(node);
    return node;
  }

  /** Dials every pair once (a full mesh). */
  async connectAll(nodes: readonly ConsensusNode[] = this.nodes): Promise<void> {
    for (let i = 0; i < nodes.length; i++) {
      for (let j = i + 1; j < nodes.length; j++) await nodes[i]!.connect(addressOf_(nodes[j]!));
    }
  }

  /**
   * A bare registry on the cluster's network that only dials (not started): plays a hostile or
   * curious peer; register its handlers, then `start()` it. Stopped with the cluster.
   */
  bareRegistry(): PeerConnectionRegistry {
    const registry = new PeerConnectionRegistry({
      identity: NodeIdentity.generate(),
      networkId: this.genesis.networkId,
      genesisHash: genesisHash(this.genesis),
      listen: false,
      discovery: false,
      exemptLoopback: true,
      limits: { closeTimeoutMs: 500 },
    });
    this.bare.push(registry);
    return registry;
  }

  async stop(): Promise<void> {
    await Promise.all(this.bare.splice(0).map((r) => r.stop()));
    await Promise.all(this.nodes.splice(0).map((n) => n.stop()));
    await this.pool?.destroy();
    this.pool = undefined;
    for (const d of this.dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  }
}

export function addressOf_(node: ConsensusNode): string {
  return `127.0.0.1:${node.registry.address()!.port}`;
}

/** The shared waitFor, polling every 25 ms: these checks read several nodes at a time. */
export const waitFor = <T>(check: () => T, timeoutMs: number, what: string): Promise<NonNullable<T>> =>
  sharedWaitFor(check, timeoutMs, what, 25);

/** A node's finalized height, and the lowest of several (finality tests). */
export const finalizedOf = (n: ConsensusNode): number => n.finality.finalized.height;
export const minFinalized = (nodes: readonly ConsensusNode[]): number => Math.min(...nodes.map(finalizedOf));

/** Whether every node has the same tip hash. */
export const sameTip = (nodes: readonly ConsensusNode[]): boolean =>
  nodes.every((n) => toHex(n.chain.tip().hash) === toHex(nodes[0]!.chain.tip().hash));

/** `n` valid blocks of `c`'s validators on `parent`; the first at `firstAttempt` (a distinct branch). */
export function buildBranch(c: TestCluster, parent: HeaderRef, n: number, firstAttempt = 0) {
  const g = c.genesis;
  const bytes: Uint8Array[] = [];
  const hashes: string[] = [];
  let p = parent;
  for (let i = 0; i < n; i++) {
    const attempt = i === 0 ? firstAttempt : 0;
    const key = c.validatorKeys[leaderIndex(g, p.height + 1, attempt)]!;
    const nowMs = p.timestampMs + g.slotMs + attempt * g.leaderTimeoutMs;
    const built = buildBlock({ parent: p, producerKey: key, attempt, nowMs, genesis: g });
    p = { height: p.height + 1, hash: built.hash, timestampMs: built.block.header.timestampMs };
    bytes.push(built.bytes);
    hashes.push(toHex(built.hash));
  }
  return { bytes, hashes, tip: p };
}
