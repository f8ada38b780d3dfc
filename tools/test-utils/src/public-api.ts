import { readFileSync } from 'node:fs';
import { expect } from 'vitest';

export interface PublicApiReport {
  /** Names `src/index.ts` exports (named and `export * as` re-exports; types included). */
  readonly exported: ReadonlySet<string>;
  /** Names in backquotes in the README's `## Public API` section. */
  readonly listed: ReadonlySet<string>;
  /** Runtime exports of the module that the index does not name (leaked through `export *`). */
  readonly leaked: readonly string[];
  /** Exports the README does not list. */
  readonly undocumented: readonly string[];
}

/**
 * Compares a package's README "Public API" section with what its `src/index.ts` exports.
 * `runtimeNames` are the keys of the imported index module, which catch anything an
 * `export *` lets through that the source text does not name.
 */
export function publicApiReport(
  readme: string,
  indexSource: string,
  runtimeNames: readonly string[],
): PublicApiReport {
  const start = readme.indexOf('## Public API');
  if (start < 0) throw new Error('the README has no "## Public API" section');
  const end = readme.indexOf('\n## ', start + 5);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const listed = new Set([...section.matchAll(/`([A-Za-z_][A-Za-z0-9_]*)`/g)].map((m) => m[1]!));
  const source = indexSource.replace(/\/\*[\s\S]*?\*\//g, '');
  const exported = new Set<string>();
  for (const m of source.matchAll(/export\s*(?:type\s*)?\{([^}]*)\}/g)) {
    for (const part of m[1]!.split(',')) {
      const name = part
        .trim()
        .replace(/^type\s+/, '')
        .split(' as ')
        .at(-1)!
        .trim();
      if (name) exported.add(name);
    }
  }
  for (const m of source.matchAll(/export \* as (\w+)/g)) exported.add(m[1]!);
  return {
    exported,
    listed,
    leaked: runtimeNames.filter((name) => !exported.has(name)),
    undocumented: [...exported].filter((name) => !listed.has(name)),
  };
}

/**
 * publicApiReport for the package at `root` (its folder, as a URL ending in "/"): its README
 * and `src/index.ts`, against `indexModule`, the index as imported by the calling test.
 */
export function publicApiOf(root: URL, indexModule: Record<string, unknown>): PublicApiReport {
  return publicApiReport(
    readFileSync(new URL('README.md', root), 'utf8'),
    readFileSync(new URL('src/index.ts', root), 'utf8'),
    Object.keys(indexModule),
  );
}

/**
 * The README "Public API" check every package's tests run: nothing leaks past the index, the
 * README lists every export, and the face is not empty. Returns the report for further checks.
 */
export function expectPublicApiDocumented(
  root: URL,
  indexModule: Record<string, unknown>,
  minExports = 20,
): PublicApiReport {
  const report = publicApiOf(root, indexModule);
  expect(report.leaked, 'runtime exports the index does not name').toEqual([]);
  expect(report.undocumented, 'exports the README does not list').toEqual([]);
  expect(report.exported.size).toBeGreaterThan(minExports);
  return report;
}
