import type { z } from 'zod';

/** Edit distance (insert, delete, substitute, swap of neighbours), as commander's suggestion. */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [
    i,
    ...Array<number>(b.length).fill(0),
  ]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The known key closest to `name`, when it is close enough to be a typo (as the CLI does for flags). */
export function closestKey(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const k of known) {
    const dist = distance(name.toLowerCase(), k.toLowerCase());
    if (dist < bestDistance) [best, bestDistance] = [k, dist];
  }
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(name.length * 0.4)) ? best : undefined;
}

/** The keys an object schema accepts at `path` (through defaults and optionals), else []. */
export function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let s: unknown = schema;
  const shapeOf = (x: unknown): Record<string, unknown> | undefined => {
    for (let i = 0; i < 8 && x; i++) {
      const shape = (x as { shape?: Record<string, unknown> }).shape;
      if (shape && typeof shape === 'object') return shape;
      x = (x as { _zod?: { def?: { innerType?: unknown } } })._zod?.def?.innerType;
    }
    return undefined;
  };
  for (const seg of path) {
    const shape = shapeOf(s);
    if (!shape || typeof seg !== 'string') return [];
    s = shape[seg];
  }
  return Object.keys(shapeOf(s) ?? {});
}
