import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { networkDefaults } from '../src/config/defaults.js';
import { envNameOf } from '../src/config/env.js';
import { nodeConfigSchema } from '../src/config/schema.js';
import { keysAt } from '../src/config/suggest.js';

// The configuration table in the README is what operators set: every key, its variable and its
// defaults must be the code's.
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

function configRows(): string[][] {
  const start = readme.indexOf('| key ');
  const rows: string[][] = [];
  for (const line of readme.slice(start).split('\n')) {
    if (!line.startsWith('|')) break;
    if (!/^\|\s*-/.test(line))
      rows.push(
        line
          .split('|')
          .slice(1, -1)
          .map((c) => c.trim()),
      );
  }
  return rows.slice(1);
}

const at = (obj: unknown, key: string): unknown =>
  key.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], obj);

/** A cell that states a literal value (`17700`, `[]`, `true`); placeholders and prose are skipped. */
function literal(cell: string): unknown {
  const m = /^`([^`]*)`$/.exec(cell);
  if (!m || /[<~]|cores/.test(m[1]!)) return undefined;
  try {
    return JSON.parse(m[1]!);
  } catch {
    return m[1];
  }
}

describe('README configuration table matches the code', () => {
  it('names every key with its environment variable and its devnet and testnet defaults', () => {
    const devnet = networkDefaults('devnet', 4, '/home/u');
    const testnet = networkDefaults('testnet', 4, '/home/u');
    const documented = new Set<string>();
    for (const [keyCell, env, devCell, testCell] of configRows()) {
      const key = keyCell!.replace(/`/g, '');
      documented.add(key);
      expect({ key, env }).toEqual({ key, env: `\`${envNameOf(key)}\`` });
      const dev = literal(devCell!);
      if (dev !== undefined) expect({ key, dev }).toEqual({ key, dev: at(devnet, key) });
      const test = literal(testCell!);
      if (test !== undefined) expect({ key, test }).toEqual({ key, test: at(testnet, key) });
    }
    const leaves: string[] = [];
    const walk = (path: string[]) => {
      const keys = keysAt(nodeConfigSchema, path);
      if (keys.length === 0) leaves.push(path.join('.'));
      for (const k of keys) walk([...path, k]);
    };
    walk([]);
    expect(leaves.length).toBeGreaterThan(20);
    for (const key of leaves) expect(documented, key).toContain(key);
  });
});
