import { seededRandom } from '@tc/netem';
import {
  type DecodedFrame,
  encodeFrame,
  FrameDecoder,
  message,
  pb,
  resolveLimits,
  WireError,
  type WireLimits,
} from '@tc/wire';
import { Mutator } from './mutator.js';
import { buildSeedCorpus } from './seed-corpus.js';

export interface WireFuzzOptions {
  readonly iterations: number;
  readonly seed?: number;
  /** Stop early after this long (the CLI's long runs); iterations still bound the run. */
  readonly maxSeconds?: number;
  readonly maxInputBytes?: number;
  /** A single case slower than this is reported as a hang. */
  readonly hangMs?: number;
  /** Extra real frames (e.g. captured from a session) added to the seed corpus. */
  readonly extraSeeds?: readonly Uint8Array[];
  readonly limits?: WireLimits;
  /** Decoder under test; defaults to @tc/wire's FrameDecoder (overridden to test the harness itself). */
  readonly decoderFactory?: (limits: WireLimits) => FrameSource;
}

export interface FrameSource {
  push(chunk: Uint8Array): Iterable<DecodedFrame>;
}

export interface FuzzFailure {
  readonly kind: 'untyped-error' | 'hang' | 'large-allocation' | 'roundtrip-mismatch';
  readonly detail: string;
  readonly inputHex: string;
}

export interface WireFuzzReport {
  readonly iterations: number;
  readonly seed: number;
  readonly framesDecoded: number;
  readonly errorsByCode: Record<string, number>;
  readonly unknownKinds: number;
  readonly corpusSize: number;
  readonly distinctOutcomes: number;
  readonly maxCaseMs: number;
  readonly failures: FuzzFailure[];
}

const MAX_CORPUS = 2000;
const MAX_FAILURES = 20;

/**
 * Mutation fuzzer for the streaming decoder, seeded from real frames and guided by
 * outcomes: an input that produces an outcome not seen before (a new sequence of kinds or
 * a new error reason) joins the corpus. Failures: any error that is not a WireError, a case
 * slower than `hangMs`, an allocation far beyond the input size, and a decoded frame that
 * does not survive re-encoding unchanged.
 */
export function runWireFuzz(options: WireFuzzOptions): WireFuzzReport {
  const seed = options.seed ?? 1;
  const mutator = new Mutator(seededRandom(seed));
  // Small limits make the over-limit paths reachable from small inputs.
  const limits = options.limits ?? resolveLimits({ maxFrameBytes: 64 * 1024, maxUnknownKindBytes: 4096 });
  const maxInputBytes = options.maxInputBytes ?? 16 * 1024;
  const hangMs = options.hangMs ?? 2000;
  const corpus = [...buildSeedCorpus(), ...(options.extraSeeds ?? [])];
  const outcomes = new Set<string>();
  const errorsByCode: Record<string, number> = {};
  const failures: FuzzFailure[] = [];
  const deadline = options.maxSeconds
    ? performance.now() + options.maxSeconds * 1000
    : Number.POSITIVE_INFINITY;
  let framesDecoded = 0;
  let unknownKinds = 0;
  let maxCaseMs = 0;
  let iterations = 0;

  const fail = (kind: FuzzFailure['kind'], detail: string, input: Uint8Array) => {
    if (failures.length < MAX_FAILURES)
      failures.push({ kind, detail, inputHex: Buffer.from(input).toString('hex') });
  };

  for (; iterations < options.iterations && failures.length < MAX_FAILURES; iterations++) {
    if ((iterations & 255) === 0 && performance.now() > deadline) break;
    const input = mutator.mutate(mutator.pick(corpus), corpus, maxInputBytes);
    const decoder = options.decoderFactory?.(limits) ?? new FrameDecoder(limits);
    const kinds: string[] = [];
    let outcome = 'ok';
    const memoryBefore = process.memoryUsage().arrayBuffers;
    const start = performance.now();
    try {
      for (const chunk of mutator.split(input)) {
        for (const frame of decoder.push(chunk)) {
          framesDecoded++;
          kinds.push(frame.kind);
          if (frame.kind === 'unknown') unknownKinds++;
          else if (!survivesReencoding(frame, limits)) fail('roundtrip-mismatch', frame.kind, input);
        }
      }
    } catch (error) {
      if (error instanceof WireError) {
        errorsByCode[error.code] = (errorsByCode[error.code] ?? 0) + 1;
        outcome = `${error.code}:${error.message.replace(/\d+/g, 'N').slice(0, 60)}`;
      } else {
        fail(
          'untyped-error',
          error instanceof Error ? `${error.name}: ${error.message}` : String(error),
          input,
        );
      }
    }
    const elapsed = performance.now() - start;
    maxCaseMs = Math.max(maxCaseMs, elapsed);
    if (elapsed > hangMs) fail('hang', `${elapsed.toFixed(0)} ms`, input);
    const grown = process.memoryUsage().arrayBuffers - memoryBefore;
    if (grown > Math.max(1024 * 1024, 16 * input.length)) fail('large-allocation', `${grown} bytes`, input);
    const signature = `${kinds.join(',')}|${outcome}`;
    if (!outcomes.has(signature)) {
      outcomes.add(signature);
      if (corpus.length < MAX_CORPUS) corpus.push(input);
    }
  }
  return {
    iterations,
    seed,
    framesDecoded,
    errorsByCode,
    unknownKinds,
    corpusSize: corpus.length,
    distinctOutcomes: outcomes.size,
    maxCaseMs,
    failures,
  };
}

function canonical(kind: string, requestId: number, body: unknown) {
  return JSON.stringify(
    pb.Envelope.toObject(pb.Envelope.fromObject({ requestId, [kind]: body }), {
      longs: String,
      bytes: String,
    }),
  );
}

/** A decoded frame must encode again and decode to the same message. */
function survivesReencoding(frame: Exclude<DecodedFrame, { kind: 'unknown' }>, limits: WireLimits): boolean {
  const again = encodeFrame(
    message(frame.kind, frame.body as never, frame.requestId),
    resolveLimits({
      maxFrameBytes: limits.maxFrameBytes,
      kindLimits: Object.fromEntries(Object.keys(limits.kindLimits).map((k) => [k, limits.maxFrameBytes])),
    }),
  );
  const [decoded] = [...new FrameDecoder(resolveLimits({ maxFrameBytes: limits.maxFrameBytes })).push(again)];
  if (!decoded || decoded.kind !== frame.kind) return false;
  return (
    canonical(frame.kind, frame.requestId, frame.body) ===
    canonical(decoded.kind, decoded.requestId, decoded.body)
  );
}
