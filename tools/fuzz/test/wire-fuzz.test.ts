import { FrameDecoder } from '@tc/wire';
import { describe, expect, it } from 'vitest';
import { runWireFuzz } from '../src/index.js';

// The bounded CI variant; `pnpm --filter @tc/fuzz fuzz` runs long campaigns on demand.
describe('wire decoder fuzzing', () => {
  it.each([1, 2, 3])('seed %i: 15k mutated inputs give only frames or typed errors', (seed) => {
    const report = runWireFuzz({ iterations: 15_000, seed });
    expect(report.failures).toEqual([]);
    expect(report.iterations).toBe(15_000);
    // The run reached deep states, not just the first check.
    expect(report.framesDecoded).toBeGreaterThan(1000);
    expect(report.errorsByCode.MALFORMED_FRAME).toBeGreaterThan(0);
    expect(report.errorsByCode.FRAME_TOO_LARGE).toBeGreaterThan(0);
    expect(report.distinctOutcomes).toBeGreaterThan(50);
  });

  it('catches a decoder that throws untyped errors', () => {
    const report = runWireFuzz({
      iterations: 200,
      seed: 9,
      decoderFactory: () => ({
        push(chunk) {
          if (chunk.includes(0xff)) throw new TypeError('boom');
          return [];
        },
      }),
    });
    expect(report.failures.length).toBeGreaterThan(0);
    expect(report.failures[0]).toMatchObject({ kind: 'untyped-error', detail: 'TypeError: boom' });
  });

  it('catches a decoder whose frames do not survive re-encoding', () => {
    const report = runWireFuzz({
      iterations: 20,
      seed: 4,
      decoderFactory: (limits) => {
        const real = new FrameDecoder(limits);
        return {
          *push(chunk) {
            for (const frame of real.push(chunk)) yield { ...frame, requestId: frame.requestId + 1 };
          },
        };
      },
    });
    expect(report.failures.some((f) => f.kind === 'roundtrip-mismatch')).toBe(false);
    // Shifting the id is consistent, so nothing is flagged; corrupting a body must be:
    const corrupt = runWireFuzz({
      iterations: 200,
      seed: 4,
      decoderFactory: (limits) => {
        const real = new FrameDecoder(limits);
        return {
          *push(chunk) {
            // A lone surrogate cannot be encoded as UTF-8, so it cannot survive a round trip.
            for (const frame of real.push(chunk)) {
              yield { ...frame, kind: 'error', body: { code: 1, message: '\ud800' } } as never;
            }
          },
        };
      },
    });
    expect(corrupt.failures.some((f) => f.kind === 'roundtrip-mismatch')).toBe(true);
  });
});
