import { expectPublicApiDocumented } from '@tc/test-utils';
import { describe, it } from 'vitest';

describe('README "Public API" matches src/index.ts', () => {
  it('lists every public export, and only those', async () => {
    expectPublicApiDocumented(new URL('..', import.meta.url), await import('../src/index.js'));
  });
});
