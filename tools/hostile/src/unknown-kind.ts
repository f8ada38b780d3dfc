import { varintBytes } from '@tc/wire';
import { type HostileCase, openSession, sessionNotOpened } from './case.js';
import { describeClose, sleep } from './observe.js';

/** Envelope field number no tc build knows (a future kind). */
const FUTURE_FIELD = 40;

/** A frame of the future kind: request id `requestId`, a body of `bodyBytes` filler bytes. */
export function futureKindFrame(requestId: number, bodyBytes: number): Uint8Array {
  const head = [0x08, requestId, ...varintBytes((FUTURE_FIELD << 3) | 2), ...varintBytes(bodyBytes)];
  const frame = new Uint8Array(4 + head.length + bodyBytes).fill(0x5a);
  new DataView(frame.buffer).setUint32(0, head.length + bodyBytes);
  frame.set(head, 4);
  return frame;
}

/**
 * A newer peer's message kind, 1 MiB, after a real handshake, then the same kind as a request.
 * Expected on a tc node: the frame is skipped unbuffered and never punished (UNKNOWN_KIND:
 * ignore), the request is answered ErrorReply UNSUPPORTED, and the session stays up (an older
 * node must not ban every upgraded one). Required: the session survives and the request is
 * answered.
 */
export const unknownKind: HostileCase = {
  name: 'unknown-kind',
  expected: 'skipped, not punished; as a request answered UNSUPPORTED; the session stays',
  async run(ctx) {
    const s = await openSession(ctx);
    if (!s.ws || !s.outcome?.ok) return sessionNotOpened(s);
    s.ws.writeRaw(futureKindFrame(0, 1024 * 1024));
    s.ws.writeRaw(futureKindFrame(9, 64));
    const answered = await s.ws.waitFor(() => (s.ws?.kinds.error ?? 0) > 0 || s.ws!.closedByNode, 5_000);
    await sleep(200);
    const obs = s.ws.observation();
    s.ws.destroy();
    const stayed = !obs.closedByNode;
    const unsupported = (obs.errorReplies[3] ?? 0) > 0; // ERROR_CODE_UNSUPPORTED
    return {
      reactions: stayed ? ['none'] : ['disconnect'],
      detail: `1 MiB of field ${FUTURE_FIELD}: ${stayed ? 'session kept' : describeClose(obs)}; the request ${
        answered && unsupported ? 'answered UNSUPPORTED' : 'not answered UNSUPPORTED'
      }`,
      ok: stayed && unsupported,
      data: { observation: obs },
    };
  },
};
