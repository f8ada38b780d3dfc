import { describe, expect, it } from 'vitest';
import { publicApiReport, waitFor } from '../src/index.js';

describe('waitFor', () => {
  it('returns the first truthy value', async () => {
    let calls = 0;
    const value = await waitFor(() => (++calls >= 3 ? { calls } : undefined), 5_000, 'three calls', 1);
    expect(value).toEqual({ calls: 3 });
  });

  it('throws, naming what it waited for, once the bound has passed', async () => {
    await expect(waitFor(() => false, 20, 'never', 1)).rejects.toThrow(/waiting for never/);
  });
});

describe('publicApiReport', () => {
  const readme = '# x\n\n## Public API\n\n- `a`, `B`\n- `ns`\n\n## Next\n\n`notApi`\n';
  it('finds exports, listed names, leaks and gaps', () => {
    const index = [
      "/** `hidden` in a comment */ export { a, type B } from './a.js';",
      "export { c as C2 } from './c.js';",
      "export * as ns from './ns.js';",
    ].join('\n');
    const report = publicApiReport(readme, index, ['a', 'C2', 'ns', 'leak']);
    expect([...report.exported].sort()).toEqual(['B', 'C2', 'a', 'ns']);
    expect(report.listed.has('notApi')).toBe(false);
    expect(report.leaked).toEqual(['leak']);
    expect(report.undocumented).toEqual(['C2']);
  });

  it('refuses a README without the section', () => {
    expect(() => publicApiReport('# nothing', '', [])).toThrow(/Public API/);
  });
});
