import { afterEach, describe, expect, it, vi } from 'vitest';
import { ChainError } from '../../src/chain/chain-errors.js';
import { SideBlocks } from '../../src/chain/side-blocks.js';
import { SideBranch, type SideBranchOutcome } from '../../src/chain/side-branch.js';
import { toHex } from '../../src/internal.js';
import { addressOf_, buildBranch, TestCluster, waitFor } from '../node-cluster.js';

let cluster: TestCluster | undefined;

afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

/** Resolves with the outcome of the next `n` side-branch offers `node` makes. */
function outcomes(node: { gossip: { sideBranch: { offer: unknown } } }) {
  const spy = vi.spyOn(
    node.gossip.sideBranch as { offer: (...a: never[]) => Promise<SideBranchOutcome> },
    'offer',
  );
  return async (i: number): Promise<SideBranchOutcome> => {
    await waitFor(() => spy.mock.results.length > i, 10_000, `side-branch offer ${i + 1}`);
    return (await spy.mock.results[i]!.value) as SideBranchOutcome;
  };
}

describe('SideBlocks', () => {
  it('keeps the newest blocks within its count and byte bounds, and refuses bytes without a header', () => {
    cluster = new TestCluster({ validators: 2, slotMs: 250, genesisOffsetMs: -600_000 });
    const genesisRef = { height: 0, hash: new Uint8Array(32), timestampMs: cluster.genesis.timestampMs };
    const chain = buildBranch(cluster, genesisRef, 6);
    const side = new SideBlocks(4, 1 << 20);
    for (const bytes of chain.bytes) expect(side.add(bytes)).toBeDefined();
    expect(side.size).toBe(4);
    expect(side.get(chain.hashes[0]!)).toBeUndefined();
    expect(side.get(chain.hashes[5]!)).toMatchObject({ height: 6, prevHash: chain.hashes[4] });
    expect(side.heldBytes).toBe(chain.bytes.slice(2).reduce((n, b) => n + b.length, 0));

    const tight = new SideBlocks(64, chain.bytes[0]!.length + chain.bytes[1]!.length);
    for (const bytes of chain.bytes) tight.add(bytes);
    expect(tight.size).toBeLessThanOrEqual(2);
    expect(tight.heldBytes).toBeLessThanOrEqual(tight.maxBytes);
    expect(side.add(new Uint8Array([1, 2, 3]))).toBeUndefined();
  });
});

describe('SideBranch', () => {
  /** A chain at genesis whose switches hang until released, and then refuse (BRANCH_NOT_BETTER). */
  function stubChain(c: TestCluster) {
    const g0 = { height: 0, hash: new Uint8Array(32), timestampMs: c.genesis.timestampMs };
    let release: () => void = () => {};
    const importBlocks = vi.fn(
      () =>
        new Promise<never>((_, reject) => {
          release = () => reject(new ChainError('BRANCH_NOT_BETTER', 'stub'));
        }),
    );
    const chain = {
      tip: () => ({ height: 0, hash: g0.hash }),
      store: { getBlockHash: (h: number) => (h === 0 ? g0.hash : undefined) },
      reorg: vi.fn(),
      importBlocks,
      finalizedHeight: 0,
    };
    return { g0, chain, importBlocks, release: () => release() };
  }

  it('offers again a block that came while it was busy, from the peer that sent it; forgets an unresolved one', async () => {
    cluster = new TestCluster({ validators: 2, slotMs: 250, genesisOffsetMs: -600_000 });
    const { g0, chain, importBlocks, release } = stubChain(cluster);
    const x = buildBranch(cluster, g0, 1);
    const y = buildBranch(cluster, g0, 1, 1);
    const far = buildBranch(cluster, g0, 3, 1);
    const reoffer = vi.fn();
    const stream = vi.fn(() => {
      throw new Error('no such peer');
    });
    const side = new SideBranch({
      chain: chain as never,
      api: { stream } as never,
      maxResolving: 1,
      reoffer,
    });

    const first = side.offer(x.bytes[0]!, 'p1');
    await waitFor(() => importBlocks.mock.calls.length === 1, 5_000, 'the first switch');
    expect(await side.offer(y.bytes[0]!, 'p2')).toEqual({ action: 'busy' });
    expect(reoffer).not.toHaveBeenCalled();
    release();
    expect(await first).toEqual({ action: 'worse' });
    expect(reoffer).toHaveBeenCalledTimes(1);
    expect(reoffer.mock.calls[0]![0]).toMatchObject({ hash: y.hashes[0], from: 'p2', height: 1 });

    // Its parent cannot be fetched: left to a fork check, and forgotten here.
    const lone = new SideBranch({ chain: chain as never, api: { stream } as never, reoffer });
    expect(await lone.offer(far.bytes[2]!, 'p3')).toMatchObject({ action: 'unresolved' });
    expect(lone.blocks.get(far.hashes[2]!)).toBeUndefined();
    expect(reoffer).toHaveBeenCalledTimes(1);
  });
});

describe('SideBranch through gossip', () => {
  it('switches to a taller branch from its tip alone, fetching the missing parent in one range', async () => {
    cluster = new TestCluster({ validators: 2, slotMs: 250, genesisOffsetMs: -600_000 });
    const opts = { forkCheckIntervalMs: 600_000 };
    const [x, p] = [await cluster.add(opts), await cluster.add(opts)];
    const g0 = x.chain.tipHeader();
    const a = buildBranch(cluster, g0, 2);
    const b = buildBranch(cluster, g0, 2, 1);
    // x's block 1 wins at equal height (lower hash): the check a new peer brings finds nothing.
    const [ours, theirs] = a.hashes[0]! < b.hashes[0]! ? [a, b] : [b, a];
    await x.chain.importBlocks(ours.bytes.slice(0, 1), 'test');
    const checks = vi.fn();
    const pChecks = vi.fn();
    x.forks.on('check', checks);
    p.forks.on('check', pChecks);
    await x.connect(addressOf_(p));
    // A new peer brings a fork check on both sides (p takes x's block 1): over before we go on.
    await waitFor(
      () => checks.mock.calls.length > 0 && pChecks.mock.calls.length > 0,
      10_000,
      'connect checks',
    );
    expect(checks).toHaveBeenLastCalledWith({ action: 'none' });
    checks.mockClear();
    const next = outcomes(x);
    const stream = vi.spyOn(x.registry, 'stream');

    await p.chain.reorg(theirs.bytes, 0, 'test');
    await p.registry.send(x.registry.nodeId, { kind: 'blockAnnounce', body: { block: theirs.bytes[1]! } });
    expect(await next(0)).toMatchObject({ action: 'switched', result: { forkHeight: 0, depth: 1 } });
    expect(toHex(x.chain.tip().hash)).toBe(theirs.hashes[1]);
    expect(stream).toHaveBeenCalledTimes(1);
    expect(checks).not.toHaveBeenCalled();
  });

  it('keeps a losing competing block, then switches to its branch when its child comes, with no round trip', async () => {
    cluster = new TestCluster({ validators: 2, slotMs: 250, genesisOffsetMs: -600_000 });
    const opts = { forkCheckIntervalMs: 600_000 };
    const [x, p] = [await cluster.add(opts), await cluster.add(opts)];
    const g0 = x.chain.tipHeader();
    const one = buildBranch(cluster, g0, 2);
    const other = buildBranch(cluster, g0, 2, 1);
    // x holds the better block at height 1 (lower hash), so the other one loses until its child comes.
    const [win, lose] = one.hashes[0]! < other.hashes[0]! ? [one, other] : [other, one];
    await x.chain.importBlocks(win.bytes.slice(0, 1), 'test');
    await x.connect(addressOf_(p));
    await waitFor(() => x.registry.peers().length === 1, 5_000, 'connected');
    const next = outcomes(x);
    const send = (block: Uint8Array) =>
      p.registry.send(x.registry.nodeId, { kind: 'blockAnnounce', body: { block } });

    await send(lose.bytes[0]!);
    expect(await next(0)).toEqual({ action: 'worse' });
    expect(x.gossip.sideBranch.blocks.get(lose.hashes[0]!)).toBeDefined();
    // p holds nothing of this branch: the switch can only come from the kept block, no fetch.
    const stream = vi.spyOn(x.registry, 'stream');
    await send(lose.bytes[1]!);
    expect(await next(1)).toMatchObject({ action: 'switched', result: { forkHeight: 0, depth: 1 } });
    expect(x.chain.tip().height).toBe(2);
    expect(stream).not.toHaveBeenCalled();
  });

  it('imports the blocks it missed below an announced block a few heights up, from one range', async () => {
    cluster = new TestCluster({ validators: 2, slotMs: 250, genesisOffsetMs: -600_000 });
    const opts = { forkCheckIntervalMs: 600_000 };
    const [x, p] = [await cluster.add(opts), await cluster.add(opts)];
    const chain = buildBranch(cluster, x.chain.tipHeader(), 4);
    await x.chain.importBlocks(chain.bytes.slice(0, 1), 'test');
    const checks = vi.fn();
    x.forks.on('check', checks);
    await x.connect(addressOf_(p));
    await waitFor(() => p.chain.tip().height === 1 && checks.mock.calls.length > 0, 10_000, 'connect checks');
    checks.mockClear();
    const next = outcomes(x);

    await p.chain.importBlocks(chain.bytes.slice(1), 'test');
    await p.registry.send(x.registry.nodeId, { kind: 'blockAnnounce', body: { block: chain.bytes[3]! } });
    expect(await next(0)).toMatchObject({ action: 'extended', imported: 3 });
    expect(toHex(x.chain.tip().hash)).toBe(chain.hashes[3]);
    expect(x.status()).toMatchObject({ reorgs: 0 });
    expect(checks).not.toHaveBeenCalled();
  });
});
