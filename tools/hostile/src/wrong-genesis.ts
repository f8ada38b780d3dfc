import { NodeIdentity } from '@tc/registry';
import { pb } from '@tc/wire';
import { type HostileCase, openSession } from './case.js';
import { describeRefusal } from './client-handshake.js';

/**
 * Wrong genesis: a real handshake (valid proof of a fresh key) that claims another chain's
 * genesis hash (every byte of the real one flipped). Expected on a tc node: Disconnect
 * WRONG_GENESIS once our proof checked out, and a ban of that (proven) node id for an hour, seen
 * as Disconnect BANNED when the same identity comes back with the wrong genesis again, and
 * lifted when it comes back with the right one (an operator fixed its configuration).
 * Required: refused with reason WRONG_GENESIS.
 */
export const wrongGenesis: HostileCase = {
  name: 'wrong-genesis',
  expected: 'refused with Disconnect WRONG_GENESIS; node id banned until it names our genesis',
  async run(ctx) {
    const identity = NodeIdentity.generate();
    const wrong = ctx.o.genesisHash.map((b) => b ^ 0xff);
    const first = await openSession(ctx, { identity, genesisHash: wrong });
    first.ws?.destroy();
    if (!first.outcome) {
      return {
        reactions: ['refused'],
        detail: 'never admitted',
        ok: false,
        data: { refusals: first.refusals },
      };
    }
    const reason = first.outcome.ok ? undefined : first.outcome.disconnect;
    const again = await openSession(ctx, { identity, genesisHash: wrong });
    again.ws?.destroy();
    const banned =
      again.outcome !== undefined &&
      !again.outcome.ok &&
      again.outcome.disconnect?.reason === pb.DisconnectReason.DISCONNECT_REASON_BANNED;
    const fixed = await openSession(ctx, { identity });
    fixed.ws?.destroy();
    const refused = !first.outcome.ok;
    return {
      reactions: refused ? (banned ? ['refused', 'ban'] : ['refused']) : ['none'],
      detail:
        `wrong genesis: ${describeRefusal(first.outcome)}; same id again: ` +
        (again.outcome ? describeRefusal(again.outcome) : 'never admitted') +
        `; with the right genesis: ${fixed.outcome ? describeRefusal(fixed.outcome) : 'never admitted'}`,
      ok: refused && reason?.reason === pb.DisconnectReason.DISCONNECT_REASON_WRONG_GENESIS,
      data: {
        disconnect: reason,
        stage: first.outcome.ok ? 'accepted' : first.outcome.stage,
        rejoin: again.outcome?.ok ? 'accepted' : again.outcome?.disconnect,
        identityBanned: banned,
        liftedOnRightGenesis: fixed.outcome?.ok === true,
      },
    };
  },
};
