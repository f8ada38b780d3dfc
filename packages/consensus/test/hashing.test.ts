import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('BLAKE3 fallback', () => {
  it('uses hash-wasm when the native binding is unavailable, with identical header hashes', () => {
    const vectors = JSON.parse(
      readFileSync(new URL('./vectors/header-hash.json', import.meta.url), 'utf8'),
    ) as {
      header: Record<string, unknown>;
      hash: string;
    }[];
    const script = `
      import * as c from ${JSON.stringify(new URL('../dist/internal.js', import.meta.url).href)};
      const before = c.blake3Backend();
      const backend = await c.initHashing();
      const v = ${JSON.stringify(vectors[1]!.header)};
      const h = c.headerHash({ ...v, prevHash: c.fromHex(v.prevHash), merkleRoot: c.fromHex(v.merkleRoot), producerPublicKey: c.fromHex(v.producerPublicKey) });
      console.log(JSON.stringify({ before: before ?? null, backend, hash: c.toHex(h) }));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, TC_BLAKE3_FORCE_WASM: '1' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    const result = JSON.parse(out.trim()) as { before: string | null; backend: string; hash: string };
    expect(result.before).toBeNull();
    expect(result.backend).toBe('wasm');
    expect(result.hash).toBe(vectors[1]!.hash);
  });
});
