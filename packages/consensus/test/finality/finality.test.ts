import { afterEach, describe, expect, it } from 'vitest';
import { voteToWire } from '../../src/finality/vote.js';
import {
  type ConsensusNode,
  certificateError,
  decodeCertificate,
  genesisHash,
  Signer,
  signVote,
  toHex,
} from '../../src/internal.js';
import { seedKey } from '../helpers.js';
import { addressOf_, finalizedOf, minFinalized, TestCluster, waitFor } from '../node-cluster.js';

let cluster: TestCluster | undefined;

afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

const tipOf = (n: ConsensusNode) => n.chain.tip().height;

/** Every node's finalized block is on every other node's chain (no two conflicting finals). */
function finalsAgree(nodes: readonly ConsensusNode[]): boolean {
  return nodes.every((a) =>
    nodes.every((b) => {
      const f = a.finality.finalized;
      const there = b.store.getBlockHash(f.height);
      return there === undefined || toHex(there) === toHex(f.hash);
    }),
  );
}

describe('finality on real nodes (sockets, LMDB, pool)', { timeout: 240_000 }, () => {
  it('4 validators finalize, with a certificate each node can verify, and still do with 1 of 4 offline', async () => {
    cluster = new TestCluster({ validators: 4, slotMs: 250 });
    const nodes: ConsensusNode[] = [];
    for (let i = 0; i < 4; i++) nodes.push(await cluster.add({ validatorIndex: i }));
    await cluster.connectAll();
    await waitFor(() => minFinalized(nodes) >= 5, 60_000, 'finalized height 5 on every node');
    expect(finalsAgree(nodes)).toBe(true);

    // The stored certificate of a finalized block verifies on its own (README 15.3).
    const node = nodes[0]!;
    const f = node.finality.finalized;
    const certBytes = node.store.getCertificate(f.height);
    expect(certBytes).toBeDefined();
    const cert = decodeCertificate(certBytes!);
    expect(Math.floor(cert.source.epoch / 2)).toBe(f.height);
    expect(cert.votes.length).toBeGreaterThanOrEqual(3);
    expect(
      await certificateError(cluster.genesis, cert, (xs) => node.validator.verifySignatures(xs)),
    ).toBeUndefined();

    // One of four offline: 3 is still a quorum.
    await nodes[3]!.stop();
    const online = nodes.slice(0, 3);
    const before = minFinalized(online);
    await waitFor(() => minFinalized(online) >= before + 5, 60_000, 'finality going on with 3 of 4');
    expect(finalsAgree(online)).toBe(true);
  });

  it('2 of 4 offline: blocks go on, finality stalls, and it resumes when a third validator returns', async () => {
    cluster = new TestCluster({ validators: 4, slotMs: 250 });
    const nodes: ConsensusNode[] = [];
    for (let i = 0; i < 3; i++) nodes.push(await cluster.add({ validatorIndex: i }));
    await cluster.connectAll();
    await waitFor(() => minFinalized(nodes) >= 3, 60_000, 'finalized height 3 with 3 of 4');
    const third = nodes[2]!;
    await third.stop();
    const two = nodes.slice(0, 2);
    // Give the votes in flight time to land, then note where finality stopped.
    await waitFor(
      () => Math.min(...two.map(tipOf)) >= minFinalized(two) + 4,
      60_000,
      'blocks beyond the final one',
    );
    const stalled = Math.max(...two.map(finalizedOf));
    const heightAtStall = Math.min(...two.map(tipOf));
    await waitFor(
      () => Math.min(...two.map(tipOf)) >= heightAtStall + 6,
      60_000,
      'blocks produced by 2 of 4',
    );
    // Blocks still come (leader timeouts skip the absent), nothing new is final: 2 is not a quorum.
    expect(Math.max(...two.map(finalizedOf))).toBeLessThanOrEqual(stalled + 2);
    const plateau = Math.max(...two.map(finalizedOf));
    await waitFor(() => Math.min(...two.map(tipOf)) >= heightAtStall + 10, 60_000, 'more blocks');
    expect(Math.max(...two.map(finalizedOf))).toBe(plateau);

    // A third validator comes back (a fresh node with that key and an empty store): it syncs,
    // votes, and finality resumes past the plateau on every node.
    const back = await cluster.add({ validatorIndex: 3 });
    await cluster.connectAll([...two, back]);
    const three = [...two, back];
    await waitFor(() => minFinalized(three) > plateau + 2, 90_000, 'finality resumed').catch(
      (error: Error) => {
        // What each node believes, for a failure on a loaded machine.
        const state = three.map((n) => ({
          tip: n.chain.tip().height,
          finalized: n.finality.tracker.finalized.epoch,
          justified: n.finality.tracker.highestJustified(Number.MAX_SAFE_INTEGER).epoch,
          links: n.finality.tracker.linkCount,
          peers: n.registry.peers().length,
        }));
        throw new Error(`${error.message}: ${JSON.stringify(state)}`);
      },
    );
    expect(finalsAgree(three)).toBe(true);
  });
});

describe('votes from peers go through the error table', { timeout: 240_000 }, () => {
  it('a forged vote bans its sender; a stale or duplicate one costs nothing', async () => {
    cluster = new TestCluster({ validators: 4, slotMs: 250 });
    const nodes: ConsensusNode[] = [];
    for (let i = 0; i < 3; i++) nodes.push(await cluster.add({ validatorIndex: i }));
    await cluster.connectAll();
    await waitFor(() => minFinalized(nodes) >= 3, 60_000, 'finality');
    const victim = nodes[0]!;
    const faults: string[] = [];
    victim.on('peer:fault', (f) => faults.push(f.code));
    const g = cluster.genesis;
    const genesisCp = { epoch: 0, hash: genesisHash(g) };

    // Stale: a real validator's vote for a block at or below the finalized one. Dropped, no blame.
    const honest = cluster.bareRegistry();
    await honest.start();
    const honestInfo = await honest.dial(addressOf_(victim));
    const f = victim.finality.finalized;
    const stale = signVote(g.networkId, new Signer(cluster.validatorKeys[1]!), {
      validatorIndex: 1,
      source: genesisCp,
      target: { epoch: 2 * f.height, hash: f.hash },
    });
    await honest.send(honestInfo.id, {
      kind: 'votes',
      body: { votes: [voteToWire(stale), voteToWire(stale)] },
    });

    // Forged: validator 2's index, signed by a key that is not validator 2's.
    const forger = cluster.bareRegistry();
    await forger.start();
    const forgerInfo = await forger.dial(addressOf_(victim));
    const tip = victim.chain.tip();
    const forged = signVote(g.networkId, new Signer(seedKey(99)), {
      validatorIndex: 2,
      source: { epoch: 2 * f.height, hash: f.hash },
      target: { epoch: 2 * tip.height + 2, hash: new Uint8Array(32).fill(5) },
    });
    await forger.send(forgerInfo.id, { kind: 'votes', body: { votes: [voteToWire(forged)] } });
    await waitFor(() => faults.includes('INVALID_VOTE'), 30_000, 'the forged vote reported');
    await waitFor(() => victim.registry.peer(forger.nodeId) === undefined, 30_000, 'the forger disconnected');
    expect(victim.registry.bans().some((b) => b.key.includes(forger.nodeId))).toBe(true);
    // The honest sender of stale and duplicate votes is still connected and unblamed.
    expect(victim.registry.peer(honest.nodeId)).toBeDefined();
    expect(faults).toEqual(['INVALID_VOTE']);
  });
});
