import { FrameDecoder, LENGTH_PREFIX_BYTES, MalformedFrameError } from '@tc/wire';
import { connectAdmitted, type HostileCase, notAdmitted, openSession } from './case.js';
import { describeRefusal } from './client-handshake.js';
import { describeClose, type Observation, probeAddress } from './observe.js';

const BODY_BYTES = 252;

/**
 * Random garbage before and after the handshake. The garbage is a length prefix that matches
 * its body (252 bytes) and a seeded random body that a default FrameDecoder rejects as
 * MALFORMED_FRAME: random bytes with a random prefix would almost always be an oversized
 * prefix instead, which is the oversized-prefix case (and a ban on a tc node).
 * Expected: disconnect (tc: MALFORMED_FRAME → disconnect, score −20, no ban), checked by
 * reconnecting from the same address (before) or with the same identity (after).
 * Required: the node closes every garbage connection.
 */
export const garbage: HostileCase = {
  name: 'garbage',
  expected: 'disconnect before and after the handshake (MALFORMED_FRAME), no ban',
  async run(ctx) {
    const rand = prng(ctx.o.garbage.seed);
    // Before the handshake: one connection (a tc node charges the address −20 per attempt).
    const pre = await connectAdmitted(ctx);
    if (!pre.ws) return notAdmitted('garbage before the handshake', pre.refusals);
    pre.ws.writeRaw(malformedFrame(rand));
    await pre.ws.waitClosedByNode(5_000);
    const preObs = pre.ws.observation();
    pre.ws.destroy();
    const preReconnect = await probeAddress(ctx.target, {
      connectTimeoutMs: ctx.o.connectTimeoutMs,
      waitMs: 1_000,
    });

    // After the handshake: `postTrials` sessions, each with a fresh identity.
    const post: Observation[] = [];
    let postReconnect = 'not tried';
    for (let i = 0; i < ctx.o.garbage.postTrials; i++) {
      const s = await openSession(ctx);
      if (!s.ws || !s.outcome?.ok) {
        s.ws?.destroy();
        return failedSession(s.outcome ? describeRefusal(s.outcome) : 'never admitted');
      }
      s.ws.writeRaw(malformedFrame(rand));
      await s.ws.waitClosedByNode(5_000);
      post.push(s.ws.observation());
      s.ws.destroy();
      if (i === 0) {
        const again = await openSession(ctx, { identity: s.outcome.identity });
        postReconnect = again.outcome?.ok
          ? 'admitted'
          : again.outcome
            ? describeRefusal(again.outcome)
            : 'refused';
        again.ws?.destroy();
      }
    }
    const postClosed = post.filter((o) => o.closedByNode).length;
    const banned = preReconnect === 'refused' || postReconnect !== 'admitted';
    const closedAll = preObs.closedByNode && postClosed === post.length;
    return {
      reactions: [...(banned ? (['ban'] as const) : []), ...(closedAll ? (['disconnect'] as const) : [])],
      detail:
        `before handshake: ${describeClose(preObs)}, reconnect ${preReconnect}; ` +
        `after handshake: ${postClosed}/${post.length} closed` +
        (post[0] ? ` (${describeClose(post[0])})` : '') +
        `, reconnect with same id ${postReconnect}`,
      ok: closedAll,
      data: { pre: preObs, preReconnect, post, postReconnect },
    };
  },
};

function failedSession(why: string) {
  return {
    reactions: ['refused' as const],
    detail: `could not open an honest-looking session to attack: ${why}`,
    ok: false,
    data: {},
  };
}

/** A seeded xorshift32 byte generator, so a run's garbage is reproducible. */
export function prng(seed: number): (n: number) => Uint8Array {
  let x = seed >>> 0 || 1;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      out[i] = x & 0xff;
    }
    return out;
  };
}

/**
 * Length prefix + random body that a default FrameDecoder rejects as malformed (neither too
 * large for its kind nor decodable). Random bodies are drawn until one qualifies (bounded);
 * the fallback starts with field 1 of wire type 7, which no protobuf decoder accepts.
 */
export function malformedFrame(rand: (n: number) => Uint8Array): Uint8Array {
  for (let attempt = 0; attempt < 1_000; attempt++) {
    const frame = withPrefix(rand(BODY_BYTES));
    if (isMalformed(frame)) return frame;
  }
  const body = rand(BODY_BYTES);
  body[0] = 0x0f;
  return withPrefix(body);
}

function withPrefix(body: Uint8Array): Uint8Array {
  const frame = new Uint8Array(LENGTH_PREFIX_BYTES + body.length);
  new DataView(frame.buffer).setUint32(0, body.length);
  frame.set(body, LENGTH_PREFIX_BYTES);
  return frame;
}

function isMalformed(frame: Uint8Array): boolean {
  try {
    for (const _ of new FrameDecoder().push(frame)) {
      // a frame that decodes is not garbage
    }
    return false;
  } catch (error) {
    return error instanceof MalformedFrameError;
  }
}
