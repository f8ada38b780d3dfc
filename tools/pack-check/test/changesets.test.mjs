import { describe, expect, it } from 'vitest';
import { changesetDryRun } from '../src/changeset-dry-run.mjs';

describe('changesets', () => {
  it('a minor bump of @tc/wire versions every package that depends on it, @tc/node included, and no private tool', () => {
    const result = changesetDryRun({ '@tc/wire': 'minor' });
    const byName = new Map(result.map((r) => [r.name, r]));
    const [major, minor] = byName.get('@tc/wire').before.split('.').map(Number);
    expect(byName.get('@tc/wire').after).toBe(`${major}.${minor + 1}.0`);
    for (const name of ['@tc/registry', '@tc/storage', '@tc/consensus', '@tc/node']) {
      const r = byName.get(name);
      expect({ name, bumped: r.after !== r.before, changelog: r.changelog }).toEqual({
        name,
        bumped: true,
        changelog: true,
      });
    }
    // Dependents keep the workspace protocol, which packs as a `^` range of the new version.
    expect(byName.get('@tc/registry').dependencies['@tc/wire']).toBe('workspace:^');
    const tools = result.filter((r) => r.private);
    expect(tools.length).toBeGreaterThan(3);
    for (const t of tools)
      expect({ name: t.name, after: t.after, changelog: t.changelog }).toEqual({
        name: t.name,
        after: t.before,
        changelog: false,
      });
  });
});
