import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ErrorActionRule,
  NodeIdentity,
  PeerConnectionRegistry,
  type RegistryOptions,
} from '@tc/registry';
import type { ChainStore } from '@tc/storage';
import type { SyncTarget } from '../src/chain/sync-target.js';
import {
  addressOf,
  type BlockData,
  blockRangeHandler,
  buildBlock,
  buildGenesisBlock,
  CONSENSUS_ERROR_ACTIONS,
  decodeBlockData,
  encodeBlockData,
  type GenesisConfig,
  type HeaderRef,
  leaderFor,
  MemoryChainState,
  resolveParent,
  Signer,
  type StatelessValidator,
  signTransaction,
  statelessParams,
  toHex,
  validateBlockStateful,
} from '../src/internal.js';
import { keyOf, makeGenesis, wallets } from './helpers.js';

/** A pre-built valid chain: blocks[i] is the protobuf bytes of height i + 1. */
export interface TestChain {
  readonly genesis: GenesisConfig;
  readonly blocks: readonly Uint8Array[];
  readonly tip: { height: number; hash: Uint8Array };
  /** Digest of the UTXO set at the tip (see `utxoDigest`). */
  readonly utxoDigest: string;
}

type Utxo = { value: bigint; recipient: Uint8Array };

/** Digest over the UTXO set, sorted by outpoint: equal digests = equal sets. */
export function utxoDigest(entries: Iterable<[string, Utxo]>): string {
  const rows = [...entries].map(([k, u]) => `${k}=${u.value}@${toHex(u.recipient)}`).sort();
  return createHash('sha256').update(rows.join('\n')).digest('hex');
}

/**
 * Builds `length` valid blocks on a fresh genesis whose timestamp lies far enough in the past
 * that every block is in the past too. Every `txEvery`-th block also carries a signed transfer.
 */
export function buildTestChain(length: number, txEvery = 10): TestChain {
  const slotMs = 1_000;
  const genesis = makeGenesis({
    slotMs,
    leaderTimeoutMs: slotMs,
    timestampMs: Date.now() - (length + 60) * slotMs,
  });
  const g = buildGenesisBlock(genesis);
  const utxos = new Map<string, Utxo>();
  const key = (txid: Uint8Array, vout: number) => `${toHex(txid)}:${vout}`;
  genesis.allocations.forEach((o, vout) => {
    utxos.set(key(g.txid, vout), o);
  });
  const owned = wallets.map((_, i) => ({ txid: g.txid, vout: i, value: genesis.allocations[i]!.value }));
  const signers = wallets.map((w) => new Signer(w));
  const producers = new Map<string, Signer>();
  let parent: HeaderRef = { height: 0, hash: g.hash, timestampMs: genesis.timestampMs };
  const blocks: Uint8Array[] = [];
  for (let h = 1; h <= length; h++) {
    const txs: { tx: ReturnType<typeof signTransaction>['tx']; fee: bigint }[] = [];
    let spent: { txid: Uint8Array; vout: number; w: number } | undefined;
    if (txEvery > 0 && h % txEvery === 0) {
      const w = (h / txEvery) % wallets.length;
      const from = owned[w]!;
      const { tx } = signTransaction(genesis.networkId, {
        nonce: BigInt(h),
        inputs: [{ prevTxid: from.txid, vout: from.vout, keys: signers[w]! }],
        outputs: [{ value: from.value - 10n, recipient: signers[w]!.address }],
      });
      txs.push({ tx, fee: 10n });
      spent = { txid: from.txid, vout: from.vout, w };
    }
    const leader = keyOf(leaderFor(genesis, h, 0));
    const pk = toHex(leader.publicKey);
    if (!producers.has(pk)) producers.set(pk, new Signer(leader));
    const built = buildBlock({
      parent,
      txs,
      producerKey: producers.get(pk)!,
      attempt: 0,
      nowMs: parent.timestampMs + slotMs,
      genesis,
    });
    utxos.set(key(built.txids[0]!, 0), {
      value: genesis.blockReward + built.fees,
      recipient: addressOf(leader.publicKey),
    });
    if (spent) {
      utxos.delete(key(spent.txid, spent.vout));
      const out = built.block.txs[1]!.outputs[0]!;
      utxos.set(key(built.txids[1]!, 0), out);
      owned[spent.w] = { txid: built.txids[1]!, vout: 0, value: out.value };
    }
    blocks.push(built.bytes);
    parent = { height: h, hash: built.hash, timestampMs: built.block.header.timestampMs };
  }
  return {
    genesis,
    blocks,
    tip: { height: parent.height, hash: parent.hash },
    utxoDigest: utxoDigest(utxos),
  };
}

/** A copy of `bytes` with the coinbase value changed: same header, BAD_MERKLE_ROOT on import. */
export function corruptBlock(bytes: Uint8Array): Uint8Array {
  const block = decodeBlockData(bytes);
  const [coinbase, ...rest] = block.txs;
  const out = coinbase!.outputs[0]!;
  const bad: BlockData = {
    ...block,
    txs: [{ ...coinbase!, outputs: [{ ...out, value: out.value + 1n }] }, ...rest],
  };
  return encodeBlockData(bad);
}

// ------------------------------------------------------------------ sync targets

/**
 * An in-memory SyncTarget for the small tests (the node's is the ChainManager, used by the
 * 2,000-block test): stateless validation of the whole batch in the pool at once, then
 * stateful validation and `applyPlan` one block at a time.
 */
export class TestTarget implements SyncTarget {
  imports = 0;
  /** Delay per importBlocks call (abort test). */
  delayMs = 0;
  readonly memory: MemoryChainState;

  private constructor(
    readonly genesis: GenesisConfig,
    private readonly validator: StatelessValidator,
  ) {
    this.memory = new MemoryChainState(genesis);
  }

  static memory(genesis: GenesisConfig, validator: StatelessValidator): TestTarget {
    return new TestTarget(genesis, validator);
  }

  tip(): { height: number; hash: Uint8Array } {
    const t = this.memory.getTip();
    return { height: t.height, hash: t.hash };
  }

  async importBlocks(blocks: readonly Uint8Array[]): Promise<{ imported: number }> {
    this.imports++;
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    const params = statelessParams(this.genesis);
    const pending = blocks.map((b) => this.validator.validateBlock(b, params));
    for (const p of pending) p.catch(() => undefined); // awaited below, in order
    let imported = 0;
    for (let i = 0; i < blocks.length; i++) {
      const bytes = blocks[i]!;
      const stateless = await pending[i]!;
      const block = decodeBlockData(bytes);
      const parent = await resolveParent(this.memory, block.header);
      const plan = await validateBlockStateful({
        block,
        stateless,
        parent,
        utxos: this.memory,
        genesis: this.genesis,
        nowMs: Date.now(),
        blockBytes: bytes,
      });
      this.memory.applyPlan(plan);
      imported++;
    }
    return { imported };
  }
}

/** `utxoDigest` of a ChainStore's UTXO set. */
export function storeUtxoDigest(store: ChainStore): string {
  const rows: [string, Utxo][] = [];
  store.forEachUtxo((o, u) => {
    // Recipients are 32 bytes (consensus rule); subarray guards against a longer view.
    rows.push([`${toHex(o.txid)}:${o.vout}`, { value: u.value, recipient: u.recipient.subarray(0, 32) }]);
  });
  return utxoDigest(rows);
}

// ------------------------------------------------------------------ nodes

const started = new Set<PeerConnectionRegistry>();
const dirs: string[] = [];

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tc-sync-'));
  dirs.push(dir);
  return dir;
}

export async function startRegistry(
  genesis: GenesisConfig,
  overrides: Partial<RegistryOptions> = {},
): Promise<PeerConnectionRegistry> {
  const registry = new PeerConnectionRegistry({
    identity: NodeIdentity.generate(),
    networkId: genesis.networkId,
    genesisHash: buildGenesisBlock(genesis).hash,
    listen: { host: '127.0.0.1', port: 0 },
    exemptLoopback: true,
    discovery: false,
    admission: { maxInbound: 100, maxOutbound: 100, maxPendingInbound: 100 },
    errorActions: CONSENSUS_ERROR_ACTIONS as Record<string, ErrorActionRule>,
    ...overrides,
    limits: { closeTimeoutMs: 500, ...overrides.limits },
  });
  await registry.start();
  started.add(registry);
  return registry;
}

/** What a serving node does with getBlockRange. */
export type ServeMode =
  | { kind: 'honest' }
  | { kind: 'empty' }
  | { kind: 'never' }
  /** Half of what is asked. */
  | { kind: 'short' }
  /** The range one height too high. */
  | { kind: 'shifted' }
  /** Every block's coinbase altered (same headers): BAD_MERKLE_ROOT at import. */
  | { kind: 'corrupt' };

/** A node serving `chain` (up to `height`) over getBlockRange; records every request. */
export async function startServer(
  chain: TestChain,
  mode: ServeMode = { kind: 'honest' },
  height = chain.tip.height,
  registryOptions: Partial<RegistryOptions> = {},
) {
  const requests: Array<{ start: number; count: number }> = [];
  const blocks = mode.kind === 'corrupt' ? chain.blocks.map(corruptBlock) : chain.blocks;
  const registry = await startRegistry(chain.genesis, {
    ...registryOptions,
    getLocalTip: () => ({ height, hash: height === chain.tip.height ? chain.tip.hash : new Uint8Array(32) }),
  });
  const serve = blockRangeHandler({
    getBlocks: (start, count) => blocks.slice(Math.max(0, start - 1), Math.min(height, start - 1 + count)),
  });
  registry.handle('getBlockRange', async function* (body, ctx) {
    requests.push({ start: Number(body.startHeight), count: body.count });
    if (mode.kind === 'empty') return;
    if (mode.kind === 'never') {
      await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
      return;
    }
    if (mode.kind === 'short') body.count = Math.max(1, body.count >> 1);
    if (mode.kind === 'shifted') body.startHeight = body.startHeight.add(1);
    yield* await serve(body, ctx);
  });
  return { registry, requests, height };
}

/** Stops every registry started here and removes the temp dirs. */
export async function cleanup(): Promise<void> {
  const all = [...started];
  started.clear();
  await Promise.all(all.map((r) => r.stop()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

export function addr(r: PeerConnectionRegistry): string {
  return `127.0.0.1:${r.address()!.port}`;
}
