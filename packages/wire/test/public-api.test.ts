import { publicApiOf } from '@tc/test-utils';
import { describe, expect, it } from 'vitest';

describe('README "Public API" matches src/index.ts', () => {
  it('lists every public export, and only those', async () => {
    const { exported, leaked, undocumented } = publicApiOf(
      new URL('..', import.meta.url),
      await import('../src/index.js'),
    );
    expect(leaked).toEqual([]);
    expect(undocumented).toEqual([]);
    expect(exported.size).toBeGreaterThan(20);
  });
});
