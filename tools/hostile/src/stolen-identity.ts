import { randomBytes } from 'node:crypto';
import { NONCE_BYTES, NodeIdentity, nodeIdFromPublicKey } from '@tc/registry';
import {
  type CaseContext,
  connectAdmitted,
  describeReconnect,
  type HostileCase,
  handshakeOptions,
  openSession,
  reconnectHonest,
} from './case.js';
import { describeRefusal, helloMessage } from './client-handshake.js';
import { describeClose, type Observation, probeAddress, type WireSocket } from './observe.js';

/**
 * Stolen node id: we present the public key of a peer the target knows and has a live
 * session with (default: the honest probe's), without its private key.
 * 1. "claim": a Hello with the stolen key that is never acknowledged, held until the node's
 *    handshake deadline;
 * 2. with `reconnectDuringAttack`, while the claim is pending the real owner (the honest
 *    probe) drops its session and redials; its first answer is a window sample;
 * 3. "forge": meanwhile a Hello with the stolen key, then a HelloAck signed with our own key.
 * Expected on a tc node: the forged proof is refused with Disconnect BAD_HANDSHAKE and, since
 * no key was proven, nothing is banned: not the victim's node id, and not the address, which
 * an honest node may share (an older tc banned it for 1 h, an eclipse lever); the claim is
 * closed at the deadline (HANDSHAKE_TIMEOUT); the owner's live session is never displaced and
 * its new one is not held back by the claim.
 * Required: both refused, and the honest probe kept its session through step 3.
 */
export const stolenIdentity: HostileCase = {
  name: 'stolen-identity',
  expected: 'refused (BAD_HANDSHAKE); nothing banned; honest session untouched',
  async run(ctx) {
    const stolen = ctx.o.stolenPublicKey ?? ctx.honest.publicKey;
    const victim = nodeIdFromPublicKey(stolen).slice(0, 12);

    // 1. Claim the id and stall; the node has registered the claim once it acknowledged our Hello.
    const claim = await openClaim(ctx, stolen);
    await claim?.waitFor(() => (claim.kinds.helloAck ?? 0) > 0 || claim.closedByNode, ctx.o.connectTimeoutMs);
    // 2. The owner reconnects while the claim is pending (before step 3, which may ban our address).
    const claimPending = claim !== undefined && !claim.closedByNode && !claim.closed;
    const reconnect = ctx.o.reconnectDuringAttack && claimPending ? await reconnectHonest(ctx) : undefined;
    // 3. Forge the proof, while the owner has a live session.
    const before = await ctx.honest.sessionGeneration();
    const attacker = NodeIdentity.generate();
    const forged = await openSession(ctx, { identity: attacker, presentedPublicKey: stolen });
    forged.ws?.destroy();
    const after = await ctx.honest.sessionGeneration();
    const survived = before !== undefined && before === after;
    let claimObs: Observation | undefined;
    if (claim) {
      await claim.waitClosedByNode(ctx.o.handshakeDeadlineMs * 1.5 + 1_000);
      claimObs = claim.observation();
      claim.destroy();
    }
    const refused = forged.outcome !== undefined && !forged.outcome.ok;
    const addr = refused
      ? await probeAddress(ctx.target, { connectTimeoutMs: ctx.o.connectTimeoutMs, waitMs: 1_000 })
      : 'not probed';
    const addressBanned = addr === 'refused';
    const claimClosed = claimObs?.closedByNode === true;
    const claimEndedAt =
      claim && claimObs?.closedAfterMs !== undefined ? claim.connectedAt + claimObs.closedAfterMs : undefined;
    const re = reconnect ? describeReconnect(reconnect, claimEndedAt) : undefined;
    return {
      reactions: refused ? (addressBanned ? ['refused', 'ban'] : ['refused']) : ['none'],
      detail:
        `key of ${victim}…: forged proof ${forged.outcome ? describeRefusal(forged.outcome) : 'never admitted'}; ` +
        `unacknowledged claim ${claimObs ? describeClose(claimObs) : 'never admitted'}; ` +
        `reconnect from our address ${addr}; honest session ${survived ? 'untouched' : 'DISPLACED or lost'}` +
        (re ? `; ${re.text}` : ''),
      ok: refused && claimClosed && survived,
      honestSessionSurvived: survived,
      ...(reconnect?.ok ? { honestReconnectMs: reconnect.firstAnswerMs } : {}),
      addressBanned,
      data: {
        victim: nodeIdFromPublicKey(stolen),
        forged: forged.outcome?.ok ? 'accepted' : forged.outcome?.disconnect,
        claim: claimObs,
        addressProbe: addr,
        honestGenerationBefore: before,
        honestGenerationAfter: after,
        ...(reconnect ? { reconnect: { ...reconnect, waitedForAttack: re!.waitedForAttack } } : {}),
      },
    };
  },
};

/** An admitted socket that sent a Hello with `publicKey` and will never send its HelloAck. */
async function openClaim(ctx: CaseContext, publicKey: Uint8Array): Promise<WireSocket | undefined> {
  const { ws } = await connectAdmitted(ctx);
  ws?.send(helloMessage(handshakeOptions(ctx), publicKey, randomBytes(NONCE_BYTES)));
  return ws;
}
