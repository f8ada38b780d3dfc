import { NodeIdentity } from '@tc/registry';
import { pb } from '@tc/wire';
import { connectAdmitted, type HostileCase, openSession, sessionNotOpened } from './case.js';
import { describeRefusal } from './client-handshake.js';
import { describeClose, type Observation, probeAddress } from './observe.js';

/** A length prefix of 4 GiB − 1, then 3 bytes: a frame no node may buffer. */
const OVERSIZED = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]);

/**
 * Oversized length prefix (0xFFFFFFFF). After a real handshake: expected on a tc node is
 * FRAME_TOO_LARGE → disconnect and a 30 min ban of the node id, seen as Disconnect BANNED
 * when the same identity comes back. With `oversized.preHandshake` also before any
 * handshake: no id is proven there, so a tc node closes the connection and bans nothing (an
 * honest node may share the address); another implementation may ban the address (seen as
 * reconnects closed before the Hello), which is why it is off by default.
 * Required: the node closes the connection (a ban is reported, not required).
 */
export const oversizedPrefix: HostileCase = {
  name: 'oversized-prefix',
  expected: 'disconnect + ban (FRAME_TOO_LARGE: node id; before the handshake: disconnect only)',
  async run(ctx) {
    const identity = NodeIdentity.generate();
    const s = await openSession(ctx, { identity });
    if (!s.ws || !s.outcome?.ok) return sessionNotOpened(s);
    s.ws.writeRaw(OVERSIZED.subarray(0, 4));
    await s.ws.waitClosedByNode(5_000);
    const post = s.ws.observation();
    s.ws.destroy();
    const again = await openSession(ctx, { identity });
    again.ws?.destroy();
    const idBanned =
      again.outcome !== undefined &&
      !again.outcome.ok &&
      again.outcome.disconnect?.reason === pb.DisconnectReason.DISCONNECT_REASON_BANNED;

    let pre: Observation | undefined;
    let preProbe = 'not run';
    if (ctx.o.oversized.preHandshake) {
      const raw = await connectAdmitted(ctx);
      if (raw.ws) {
        raw.ws.writeRaw(OVERSIZED);
        await raw.ws.waitClosedByNode(5_000);
        pre = raw.ws.observation();
        raw.ws.destroy();
        preProbe = await probeAddress(ctx.target, {
          connectTimeoutMs: ctx.o.connectTimeoutMs,
          waitMs: 1_000,
        });
      } else preProbe = 'never admitted';
    }
    const addressBanned = preProbe === 'refused';
    const closed = post.closedByNode && (pre === undefined || pre.closedByNode);
    return {
      reactions: [
        ...(idBanned || addressBanned ? (['ban'] as const) : []),
        ...(closed ? (['disconnect'] as const) : []),
      ],
      detail:
        `after handshake: ${describeClose(post)}; same id again: ` +
        `${again.outcome ? describeRefusal(again.outcome) : 'never admitted'}` +
        (pre ? `; before handshake: ${describeClose(pre)}, reconnect from our address ${preProbe}` : ''),
      ok: closed,
      addressBanned,
      data: { post, identityBanned: idBanned, pre, preReconnect: preProbe },
    };
  },
};
