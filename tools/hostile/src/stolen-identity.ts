import { randomBytes } from 'node:crypto';
import { NONCE_BYTES, NodeIdentity, nodeIdFromPublicKey } from '@tc/registry';
import {
  type CaseContext,
  connectAdmitted,
  type HostileCase,
  handshakeOptions,
  openSession,
} from './case.js';
import { describeRefusal, helloMessage } from './client-handshake.js';
import { describeClose, type Observation, probeAddress, type WireSocket } from './observe.js';

/**
 * Stolen node id: we present the public key of a peer the target knows and has a live
 * session with (default: the honest probe's), without its private key.
 * 1. "claim": a Hello with the stolen key that is never acknowledged, held until the node's
 *    handshake deadline while the real owner's session carries on;
 * 2. "forge": a Hello with the stolen key, then a HelloAck signed with our own key.
 * Expected on a tc node: the claim is closed at the deadline (HANDSHAKE_TIMEOUT); the forged
 * proof is refused with Disconnect BAD_HANDSHAKE and, since no key was proven, the *address*
 * is banned (1 h), never the victim's node id. The honest session is never displaced.
 * Required: both refused, and the honest probe keeps the same session (the runner checks
 * its generation and that no request failed).
 */
export const stolenIdentity: HostileCase = {
  name: 'stolen-identity',
  expected: 'refused (BAD_HANDSHAKE); address banned; honest session untouched',
  async run(ctx) {
    const stolen = ctx.o.stolenPublicKey ?? ctx.honest.identity.publicKey;
    const victim = nodeIdFromPublicKey(stolen).slice(0, 12);
    const before = ctx.honest.session();

    // 1. Claim the id and stall (runs while step 2 happens).
    const claim = await openClaim(ctx, stolen);
    // 2. Forge the proof.
    const attacker = NodeIdentity.generate();
    const forged = await openSession(ctx, { identity: attacker, presentedPublicKey: stolen });
    forged.ws?.destroy();
    let claimObs: Observation | undefined;
    if (claim) {
      await claim.waitClosedByNode(ctx.o.handshakeDeadlineMs * 1.5 + 1_000);
      claimObs = claim.observation();
      claim.destroy();
    }
    const after = ctx.honest.session();
    const survived = before !== undefined && after !== undefined && before.generation === after.generation;
    const refused = forged.outcome !== undefined && !forged.outcome.ok;
    const addr = refused
      ? await probeAddress(ctx.target, { connectTimeoutMs: ctx.o.connectTimeoutMs, waitMs: 1_000 })
      : 'not probed';
    const addressBanned = addr === 'refused';
    const claimClosed = claimObs?.closedByNode === true;
    return {
      reactions: refused ? (addressBanned ? ['refused', 'ban'] : ['refused']) : ['none'],
      detail:
        `key of ${victim}…: forged proof ${forged.outcome ? describeRefusal(forged.outcome) : 'never admitted'}; ` +
        `unacknowledged claim ${claimObs ? describeClose(claimObs) : 'never admitted'}; ` +
        `reconnect from our address ${addr}; honest session ${survived ? 'untouched' : 'DISPLACED or lost'}`,
      ok: refused && claimClosed && survived,
      addressBanned,
      data: {
        victim: nodeIdFromPublicKey(stolen),
        forged: forged.outcome?.ok ? 'accepted' : forged.outcome?.disconnect,
        claim: claimObs,
        addressProbe: addr,
        honestGenerationBefore: before?.generation,
        honestGenerationAfter: after?.generation,
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
