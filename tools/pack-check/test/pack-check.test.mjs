import { describe, expect, it } from 'vitest';
import { packCheck, wireCopiesBesidePatch } from '../src/pack-check.mjs';

// What the core team publishes, checked as a user installs it (issue 15's acceptance).
describe('publishable packages', () => {
  it('each packs built, installs with npm, imports from ESM and CommonJS, typechecks strictly, and passes publint and attw', () => {
    const results = packCheck();
    expect(results.map((r) => r.name)).toEqual([
      '@tc/wire',
      '@tc/registry',
      '@tc/storage',
      '@tc/consensus',
      '@tc/node',
    ]);
    for (const r of results) {
      const failed = Object.entries(r.checks)
        .filter(([, c]) => !c.ok)
        .map(([name, c]) => `${name}: ${c.output}`);
      expect({ name: r.name, failed }).toEqual({ name: r.name, failed: [] });
    }
  });

  it('a consumer installing @tc/registry beside a newer patch of @tc/wire gets one copy of @tc/wire', () => {
    const r = wireCopiesBesidePatch();
    expect(r).toMatchObject({ copies: 1, versions: [r.patch] });
  });
});
