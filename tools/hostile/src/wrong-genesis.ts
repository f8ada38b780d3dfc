import { NodeIdentity } from '@tc/registry';
import { pb } from '@tc/wire';
import { type HostileCase, openSession } from './case.js';
import { describeRefusal } from './client-handshake.js';

/**
 * Wrong genesis: a real handshake (valid proof of a fresh key) that claims another chain's
 * genesis hash (every byte of the real one flipped). Expected on a tc node: Disconnect
 * WRONG_GENESIS once our proof checked out, and a ban of that (proven) node id for 24 h,
 * seen as Disconnect BANNED when the same identity comes back with the right genesis.
 * Required: refused with reason WRONG_GENESIS.
 */
export const wrongGenesis: HostileCase = {
  name: 'wrong-genesis',
  expected: 'refused with Disconnect WRONG_GENESIS; node id banned',
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
    const again = await openSession(ctx, { identity });
    again.ws?.destroy();
    const banned =
      again.outcome !== undefined &&
      !again.outcome.ok &&
      again.outcome.disconnect?.reason === pb.DisconnectReason.DISCONNECT_REASON_BANNED;
    const refused = !first.outcome.ok;
    return {
      reactions: refused ? (banned ? ['refused', 'ban'] : ['refused']) : ['none'],
      detail:
        `wrong genesis: ${describeRefusal(first.outcome)}; same id with the right genesis: ` +
        (again.outcome ? describeRefusal(again.outcome) : 'never admitted'),
      ok: refused && reason?.reason === pb.DisconnectReason.DISCONNECT_REASON_WRONG_GENESIS,
      data: {
        disconnect: reason,
        stage: first.outcome.ok ? 'accepted' : first.outcome.stage,
        rejoin: again.outcome?.ok ? 'accepted' : again.outcome?.disconnect,
        identityBanned: banned,
      },
    };
  },
};
