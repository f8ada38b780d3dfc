import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

// Every package benchmark imports the names it uses from a built entry (`../dist/…` or a
// workspace package). A public face narrowed after a benchmark was written broke `@tc/node`'s
// bench for two full runs (`pnpm bench` reported "exit 1" in bench/REPORT.md) and no test saw
// it; this one checks each such name against the built module, without running any benchmark.

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Workspace package name → its directory (packages/*, apps/*). */
function workspacePackages() {
  const dirs = new Map();
  for (const group of ['packages', 'apps']) {
    for (const name of readdirSync(join(root, group))) {
      try {
        const pkg = JSON.parse(readFileSync(join(root, group, name, 'package.json'), 'utf8'));
        dirs.set(pkg.name, join(root, group, name));
      } catch {
        // not a package
      }
    }
  }
  return dirs;
}

/** The bench scripts: <package>/bench/*.mjs. */
function benchFiles(packages) {
  const files = [];
  for (const dir of packages.values()) {
    let names = [];
    try {
      names = readdirSync(join(dir, 'bench'));
    } catch {
      continue;
    }
    for (const n of names) if (n.endsWith('.mjs')) files.push(join(dir, 'bench', n));
  }
  return files;
}

/** The built module a specifier names, or undefined when it is not ours (node:, npm, ./local). */
function builtPath(spec, benchFile, packages) {
  if (spec.startsWith('../dist/')) return resolve(dirname(benchFile), spec);
  const dir = packages.get(spec);
  if (dir === undefined) return undefined;
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const entry = pkg.exports?.['.']?.import ?? pkg.exports?.['.']?.default ?? pkg.exports?.['.'] ?? pkg.main;
  return typeof entry === 'string' ? join(dir, entry) : undefined;
}

/** [module path, names used] for each import of a built module in `source`. */
function usedNames(source, benchFile, packages) {
  const uses = [];
  for (const m of source.matchAll(/import\s*\{([^}]*)\}\s*from\s*'([^']+)'/g)) {
    const path = builtPath(m[2], benchFile, packages);
    if (path === undefined) continue;
    const names = m[1]
      .split(',')
      .map((s) => s.trim().split(/\s+as\s+/)[0])
      .filter((s) => s.length > 0);
    uses.push([path, names]);
  }
  for (const m of source.matchAll(/import\s*\*\s*as\s+(\w+)\s+from\s*'([^']+)'/g)) {
    const path = builtPath(m[2], benchFile, packages);
    if (path === undefined) continue;
    const names = [...source.matchAll(new RegExp(`\\b${m[1]}\\.([A-Za-z_$][\\w$]*)`, 'g'))].map((u) => u[1]);
    uses.push([path, [...new Set(names)]]);
  }
  return uses;
}

describe('package benchmarks', () => {
  const packages = workspacePackages();
  const files = benchFiles(packages);

  it('finds the package benchmarks', () => {
    expect(files.length).toBeGreaterThanOrEqual(5);
  });

  it.each(files.map((f) => [f.slice(root.length + 1), f]))(
    '%s imports only names its built modules export',
    async (_label, file) => {
      const missing = [];
      for (const [path, names] of usedNames(readFileSync(file, 'utf8'), file, packages)) {
        const mod = await import(pathToFileURL(path).href);
        for (const n of names) if (!(n in mod)) missing.push(`${n} (from ${path.slice(root.length + 1)})`);
      }
      expect(missing).toEqual([]);
    },
  );
});
