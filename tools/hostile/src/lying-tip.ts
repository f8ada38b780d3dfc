import { u64 } from '@tc/wire';
import { type HostileCase, openSession, sessionNotOpened } from './case.js';
import { describeClose } from './observe.js';

/** Far beyond any chain: 10^12 blocks. */
const CLAIMED_HEIGHT = 1_000_000_000_000;

/**
 * The lying tip: after a real handshake, announce a tip of 10^12 blocks (a chainTip with request
 * id 0) and answer every getChainTip with it. A node that believed it would sync towards it and,
 * before issue 11, stopped producing blocks while it did. Expected on a tc node: the claim is
 * past what the schedule allows since genesis (`maxPlausibleHeight`), so it is dropped and the
 * liar disconnected (IMPLAUSIBLE_TIP, −20); production goes on (measured on a cluster by
 * `pnpm --filter @tc/load attacks -- lying-tip`). Required: when the node asks for our tip, it
 * disconnects us; a node that never asks (a bare registry) has nothing to believe.
 */
export const lyingTip: HostileCase = {
  name: 'lying-tip',
  expected: 'the far tip dropped, the liar disconnected (IMPLAUSIBLE_TIP) once the node asks for it',
  async run(ctx) {
    const s = await openSession(ctx);
    if (!s.ws || !s.outcome?.ok) return sessionNotOpened(s);
    const ws = s.ws;
    const tip = () => ({ height: u64(CLAIMED_HEIGHT), hash: new Uint8Array(32).fill(0x11) });
    let asked = 0;
    ws.onFrame((frame) => {
      if (frame.kind !== 'getChainTip' || frame.requestId === 0) return;
      asked++;
      ws.send({ kind: 'chainTip', requestId: frame.requestId, body: tip() });
    });
    ws.send({ kind: 'chainTip', body: tip() });
    // A tc node asks every new peer for its tip within a fork check; one that has not in 8 s won't.
    await ws.waitFor(() => asked > 0 || ws.closedByNode, 8_000);
    if (asked > 0) await ws.waitClosedByNode(10_000);
    const obs = ws.observation();
    ws.destroy();
    const dropped = obs.closedByNode;
    return {
      reactions: dropped ? ['disconnect'] : ['none'],
      detail: `claimed height ${CLAIMED_HEIGHT}; asked for our tip ${asked}×; ${dropped ? describeClose(obs) : 'session kept'}`,
      ok: asked === 0 || dropped,
      data: { asked, observation: obs },
    };
  },
};
