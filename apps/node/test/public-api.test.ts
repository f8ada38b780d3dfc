import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// Names the repository's tools (load, testnet, chaos) import from @tc/node: the narrowed face
// must keep them.
const TOOL_IMPORTS = [
  'addressOfPublicKey',
  'buildSignedTransaction',
  'CONFIG_FILE_NAME',
  'createDevnetGenesis',
  'freePort',
  'GENESIS_FILE_NAME',
  'generateNodeKey',
  'genesisHashHex',
  'initDatadir',
  'layoutDevnet',
  'readGenesisFile',
  'RpcCallError',
  'RpcClient',
  'rpcUrl',
  'toHex',
  'TxBuildError',
];

describe('README "Public API" matches src/index.ts', () => {
  it('lists every public export, and only those', async () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const section = readme.slice(
      readme.indexOf('## Public API'),
      readme.indexOf('\n## ', readme.indexOf('## Public API') + 5),
    );
    const listed = new Set([...section.matchAll(/`([A-Za-z_][A-Za-z0-9_]*)`/g)].map((m) => m[1]!));
    const index = readFileSync(new URL('../src/index.ts', import.meta.url), 'utf8').replace(
      /\/\*[\s\S]*?\*\//g,
      '',
    );
    const exported = new Set<string>();
    for (const m of index.matchAll(/export\s*(?:type\s*)?\{([^}]*)\}/g)) {
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
    for (const m of index.matchAll(/export \* as (\w+)/g)) exported.add(m[1]!);
    // Every runtime export of the built module is in the index (nothing leaks through `export *`).
    const runtime = Object.keys(await import('../src/index.js'));
    for (const name of runtime) expect(exported, name).toContain(name);
    for (const name of exported) expect(listed, `README lacks ${name}`).toContain(name);
    expect(exported.size).toBeGreaterThan(20);
    // What the repository's tools import from @tc/node stays public.
    for (const name of TOOL_IMPORTS) expect(exported, name).toContain(name);
  });
});
