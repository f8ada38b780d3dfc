import type { KindInputs } from '@tc/wire';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { gossipWindowFor, type Vote, VoteRelay, voteKey } from '../../src/internal.js';

type Sent = { peer: string; validators: number[] };

function harness(peerCount: number, opts: { fanout?: number; maxQueued?: number } = {}) {
  const sent: Sent[] = [];
  const peers = Array.from({ length: peerCount }, (_, i) => `p${i}`);
  const registry = {
    peers: () => peers.map((id) => ({ id })),
    send: async (peer: string, msg: { kind: 'votes'; body: KindInputs['votes'] }) => {
      sent.push({ peer, validators: (msg.body.votes ?? []).map((v) => v.validatorIndex ?? -1) });
    },
  };
  let seed = 1;
  const relay = new VoteRelay({
    registry: registry as never,
    windowMs: 20,
    random: () => {
      seed = (seed * 48271) % 2147483647;
      return seed / 2147483647;
    },
    ...opts,
  });
  return { relay, sent, peers };
}

const vote = (validatorIndex: number, epoch = 2): Vote => ({
  validatorIndex,
  source: { epoch: 0, hash: new Uint8Array(32) },
  target: { epoch, hash: new Uint8Array(32).fill(epoch) },
  signature: new Uint8Array(64).fill(validatorIndex),
});

afterEach(() => {
  vi.useRealTimers();
});

describe('VoteRelay', () => {
  it('sends our own votes to every peer, one message per peer per window', () => {
    vi.useFakeTimers();
    const { relay, sent, peers } = harness(20);
    relay.relay([vote(0)]);
    relay.relay([vote(1, 3)]);
    expect(sent).toEqual([]); // nothing before the window closes
    vi.advanceTimersByTime(20);
    expect(sent.map((s) => s.peer).sort()).toEqual([...peers].sort());
    for (const s of sent) expect(s.validators).toEqual([0, 1]);
  });

  it("relays a peer's votes to `fanout` peers, never back to a holder", () => {
    vi.useFakeTimers();
    const { relay, sent } = harness(20, { fanout: 8 });
    relay.relay([vote(3), vote(4)], 'p5');
    relay.heard(voteKey(vote(3)), 'p6'); // p6 sent a copy of vote 3 meanwhile
    vi.advanceTimersByTime(20);
    const targets = sent.map((s) => s.peer);
    expect(new Set(targets).size).toBe(targets.length); // one message per peer
    expect(targets).not.toContain('p5');
    expect(targets.length).toBeLessThanOrEqual(8);
    for (const s of sent) expect(s.validators).toEqual(s.peer === 'p6' ? [4] : [3, 4]);
  });

  it('with few peers a relayed vote reaches all of them but its sender', () => {
    vi.useFakeTimers();
    const { relay, sent } = harness(5, { fanout: 8 });
    relay.relay([vote(2)], 'p0');
    vi.advanceTimersByTime(20);
    expect(sent.map((s) => s.peer).sort()).toEqual(['p1', 'p2', 'p3', 'p4']);
  });

  it('mixes: own votes to everyone, relayed ones only to the fanout peers', () => {
    vi.useFakeTimers();
    const { relay, sent } = harness(12, { fanout: 3 });
    relay.relay([vote(7)], 'p0');
    relay.relay([vote(1)]);
    vi.advanceTimersByTime(20);
    const withRelayed = sent.filter((s) => s.validators.includes(7));
    expect(withRelayed).toHaveLength(3);
    expect(sent.filter((s) => s.validators.includes(1))).toHaveLength(12);
  });

  it('keeps at most maxQueued votes, dropping the oldest', () => {
    vi.useFakeTimers();
    const { relay, sent } = harness(1, { maxQueued: 2 });
    relay.relay([vote(0), vote(1), vote(2)]);
    vi.advanceTimersByTime(20);
    expect(sent).toEqual([{ peer: 'p0', validators: [1, 2] }]);
  });

  it('sizes its window from the slot: a fifth, 20–200 ms', () => {
    expect(gossipWindowFor(1_000)).toBe(200);
    expect(gossipWindowFor(250)).toBe(50);
    expect(gossipWindowFor(100)).toBe(20);
    expect(gossipWindowFor(12_000)).toBe(200);
  });
});
