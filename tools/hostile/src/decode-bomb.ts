import { encodeFrame, message, varintBytes } from '@tc/wire';
import { type HostileCase, openSession, sessionNotOpened } from './case.js';
import { describeClose } from './observe.js';

/** A TxBroadcast frame of `count` empty transactions (2 bytes each): 500 000 fit in 1 MiB. */
export function emptyTxBroadcast(count: number): Uint8Array {
  const body = new Uint8Array(count * 2);
  for (let i = 0; i < count; i++) body[i * 2] = 0x0a; // TxBroadcast.txs (1), length 0
  const inner = [...varintBytes((26 << 3) | 2), ...varintBytes(body.length)]; // Envelope.tx_broadcast
  const frame = new Uint8Array(4 + inner.length + body.length);
  new DataView(frame.buffer).setUint32(0, inner.length + body.length);
  frame.set(inner, 4);
  frame.set(body, 4 + inner.length);
  return frame;
}

/** A BlockAnnounce whose block is 4 MiB − 64 of empty transactions (2 million). */
export function emptyBlockAnnounce(): Uint8Array {
  const count = (4 * 1024 * 1024 - 64) / 2;
  const block = new Uint8Array(count * 2);
  for (let i = 0; i < count; i++) block[i * 2] = 0x12; // Block.txs (2), length 0
  return encodeFrame(message('blockAnnounce', { block }));
}

/**
 * Decode bombs, after real handshakes on `sessions` sessions at once: a 1 MiB txBroadcast of
 * 500 000 empty transactions, and a 4 MiB blockAnnounce whose block holds 2 million. A naive
 * decoder allocates an object per element (gigabytes over a few sessions). Expected on a tc
 * node: the txBroadcast is refused by the element-density scan before any decode
 * (MALFORMED_FRAME: disconnect), the block by its size before it is queued (OVERSIZE_BLOCK: the
 * proven id banned). Required: every txBroadcast-bomb session closed by the node (a bare
 * registry has no chain to refuse the block, so the block half is reported, not required);
 * the honest probe's latency is judged as for every case.
 */
export const decodeBomb: HostileCase = {
  name: 'decode-bomb',
  expected: 'refused before decoding (MALFORMED_FRAME / OVERSIZE_BLOCK), bomb sessions closed',
  async run(ctx) {
    const tx = emptyTxBroadcast(500_000);
    const block = emptyBlockAnnounce();
    // Each session bombs as soon as it is open (one turned away by admission must not hold the
    // others idle into their ping timeout).
    const runs = await Promise.all(
      Array.from({ length: ctx.o.decodeBomb.sessions }, async (_, i) => {
        const s = await openSession(ctx);
        if (!s.ws || !s.outcome?.ok) {
          s.ws?.destroy();
          return { i, s: undefined };
        }
        s.ws.writeRaw(i % 2 === 0 ? tx : block);
        await s.ws.waitClosedByNode(i % 2 === 0 ? 10_000 : 3_000);
        return { i, s };
      }),
    );
    const opened = runs.filter((r) => r.s !== undefined);
    if (opened.length === 0) return sessionNotOpened({ ws: undefined, outcome: undefined });
    const obs = opened.map((r) => r.s!.ws!.observation());
    for (const r of opened) r.s!.ws!.destroy();
    const kinds = opened.map((r) => r.i % 2);
    const txObs = obs.filter((_, j) => kinds[j] === 0);
    const blockObs = obs.filter((_, j) => kinds[j] === 1);
    const txClosed = txObs.filter((o) => o.closedByNode).length;
    const blockClosed = blockObs.filter((o) => o.closedByNode).length;
    return {
      reactions: txClosed === txObs.length ? ['disconnect'] : ['none'],
      detail:
        `${runs.length - opened.length} sessions not admitted; txBroadcast bombs: ${txClosed}/${txObs.length} closed${txObs[0] ? ` (${describeClose(txObs[0])})` : ''}; ` +
        `blockAnnounce bombs: ${blockClosed}/${blockObs.length} closed`,
      ok: txClosed === txObs.length,
      data: { txSessions: txObs.length, txClosed, blockSessions: blockObs.length, blockClosed },
    };
  },
};
