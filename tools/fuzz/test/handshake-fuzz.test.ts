import { describe, expect, it } from 'vitest';
import { runHandshakeFuzz } from '../src/index.js';

// The bounded CI variant (real sockets on 127.0.0.1, a real registry);
// `pnpm --filter @tc/fuzz fuzz -- handshake` runs long campaigns on demand.
describe('handshake state machine fuzzing', () => {
  it('300 scripted and mutated clients: honest ones always connect, nothing else lingers, no crash', async () => {
    const report = await runHandshakeFuzz({
      iterations: 300,
      seed: 11,
      parallel: 8,
      handshakeTimeoutMs: 300,
    });
    expect(report.failures).toEqual([]);
    expect(report.iterations).toBe(300);
    expect(report.honestCases).toBeGreaterThan(0);
    expect(report.closedByTarget).toBeGreaterThan(150);
  }, 120_000);

  it('garbage after a valid handshake: a partial frame keeps the session, the ping that completes it is refused', async () => {
    // Half of a frame header after the handshake leaves an authenticated session waiting for
    // the rest; the fuzzer's ping can complete that header into FRAME_TOO_LARGE, and the
    // target then rightly closes. Neither is an unauthenticated socket left open.
    const report = await runHandshakeFuzz({
      iterations: 48,
      seed: 3,
      parallel: 8,
      handshakeTimeoutMs: 200,
      shape: { hello: 'valid', ack: 'valid', after: 'garbage', mutated: false },
    });
    expect(report.failures).toEqual([]);
    expect(report.closedByTarget + report.authenticatedAfterMutation).toBe(48);
    expect(report.authenticatedAfterMutation).toBeGreaterThan(0);
  }, 120_000);

  it('reports a target that keeps unauthenticated sockets open past the deadline', async () => {
    // A valid Hello and no proof: the target must close it at its deadline, which here is
    // far longer than the one the fuzzer enforces.
    const report = await runHandshakeFuzz({
      iterations: 8,
      seed: 5,
      parallel: 8,
      handshakeTimeoutMs: 200,
      targetHandshakeTimeoutMs: 30_000,
      shape: { hello: 'valid', ack: 'none', after: 'nothing', mutated: false },
    });
    expect(report.failures.filter((f) => f.kind === 'lingering-unauthenticated')).toHaveLength(8);
  }, 60_000);
});
