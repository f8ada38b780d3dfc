import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.mjs'],
    // npm installs real tarballs (and their dependencies, from the npm cache or registry).
    testTimeout: 600_000,
    hookTimeout: 60_000,
  },
});
