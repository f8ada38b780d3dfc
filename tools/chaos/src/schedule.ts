import type { DirectionFaults } from '@tc/netem';
import { Rng } from './util.js';

export type FaultEvent =
  | { readonly atMs: number; readonly kind: 'kill'; readonly node: number; readonly downMs: number }
  | {
      readonly atMs: number;
      readonly kind: 'partition';
      readonly groups: readonly [readonly number[], readonly number[]];
      readonly durationMs: number;
    }
  | {
      readonly atMs: number;
      readonly kind: 'slow' | 'corrupt';
      readonly pair: readonly [number, number];
      readonly faults: DirectionFaults;
      readonly durationMs: number;
    };

export interface ScheduleOptions {
  readonly seed: number;
  readonly nodes: number;
  /** Length of the fault window; every fault has ended (and every node restarted) by then. */
  readonly faultsMs: number;
  /** Seconds between kills, drawn uniformly from this range. */
  readonly killEveryMs?: readonly [number, number];
  /** How long a killed node stays down before its restart. */
  readonly downMs?: readonly [number, number];
  /** Add a link that flips bytes (off by default, see README: loopback IP bans). */
  readonly corrupt?: boolean;
}

/** When the last fault ends: the "last heal". */
export function lastHealMs(events: readonly FaultEvent[]): number {
  let end = 0;
  for (const e of events) end = Math.max(end, e.atMs + (e.kind === 'kill' ? e.downMs : e.durationMs));
  return end;
}

/**
 * The fault schedule, a pure function of the seed: one partition into two groups (each ≥ 2 nodes)
 * from 35 % to 60 % of the window; one slow link (latency 80–200 ms, jitter, 32–128 KiB/s) from
 * 8 % to 55 %; optionally a corrupt link (flips) from 65 % to 85 % (p = 1e-3 per byte); and a kill -9 of a random node
 * every `killEveryMs`, restarted after `downMs`, one node down at a time, none in the 4 s before
 * the partition heals (so both sides offer their chain at the heal) nor after 90 % of the window.
 */
export function makeSchedule(o: ScheduleOptions): FaultEvent[] {
  const rng = new Rng(o.seed);
  const n = o.nodes;
  if (n < 4) throw new RangeError('a chaos schedule needs at least 4 nodes (two groups of two)');
  const T = o.faultsMs;
  const events: FaultEvent[] = [];
  const nodes = Array.from({ length: n }, (_, i) => i);

  const shuffled = rng.shuffle(nodes);
  const cut = 2 + rng.int(n - 3); // 2 .. n-2
  const groups = [shuffled.slice(0, cut).sort(), shuffled.slice(cut).sort()] as const;
  const pStart = Math.round(T * 0.35);
  const pEnd = Math.round(T * 0.6);
  events.push({ atMs: pStart, kind: 'partition', groups, durationMs: pEnd - pStart });

  const slowPair = rng.shuffle(nodes).slice(0, 2) as [number, number];
  const latencyMs = Math.round(rng.between(80, 200));
  events.push({
    atMs: Math.round(T * 0.08),
    kind: 'slow',
    pair: slowPair,
    faults: {
      latencyMs,
      jitterMs: Math.round(latencyMs / 2),
      bandwidthBytesPerSec: Math.round(rng.between(32, 128)) * 1024,
    },
    durationMs: Math.round(T * 0.47),
  });

  if (o.corrupt) {
    const pair = rng.shuffle(nodes).slice(0, 2) as [number, number];
    events.push({
      atMs: Math.round(T * 0.65),
      kind: 'corrupt',
      pair,
      faults: { flipProbability: 1e-3 },
      durationMs: Math.round(T * 0.2),
    });
  }

  const [k0, k1] = o.killEveryMs ?? [4000, 8000];
  const [d0, d1] = o.downMs ?? [500, 2500];
  let t = Math.round(rng.between(1500, k0));
  while (true) {
    const downMs = Math.round(rng.between(d0, d1));
    if (t + downMs > T * 0.9) break;
    const clashesHeal = t + downMs + 2000 > pEnd - 4000 && t < pEnd + 1000;
    if (!clashesHeal) events.push({ atMs: t, kind: 'kill', node: rng.int(n), downMs });
    t += downMs + Math.round(rng.between(k0, k1));
  }
  return events.sort((a, b) => a.atMs - b.atMs);
}

export function describeEvent(e: FaultEvent): string {
  const at = `t+${(e.atMs / 1000).toFixed(1)}s`;
  switch (e.kind) {
    case 'kill':
      return `${at} kill -9 node ${e.node}, restart after ${(e.downMs / 1000).toFixed(1)}s`;
    case 'partition':
      return `${at} partition [${e.groups[0].join(',')}] | [${e.groups[1].join(',')}] for ${(e.durationMs / 1000).toFixed(1)}s`;
    default:
      return `${at} ${e.kind} link ${e.pair[0]}<->${e.pair[1]} ${JSON.stringify(e.faults)} for ${(e.durationMs / 1000).toFixed(1)}s`;
  }
}
