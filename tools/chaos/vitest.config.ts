import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // The scenarios each run a devnet of real processes: one file at a time on 2 cores.
    fileParallelism: false,
  },
});
