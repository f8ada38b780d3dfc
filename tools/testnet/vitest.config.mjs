import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.mjs'],
    testTimeout: 240_000,
    hookTimeout: 60_000,
    // Each file runs its own node cluster: one at a time on a 2-core machine.
    fileParallelism: false,
  },
});
