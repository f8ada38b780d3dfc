import { defineConfig } from 'tsup';

export default defineConfig({
  // The pool worker is its own entry so that piscina can load dist/validation-worker.js.
  entry: ['src/index.ts', 'src/internal.ts', 'src/validation-worker.ts'],
  format: ['esm'],
  dts: { entry: ['src/index.ts', 'src/internal.ts'] },
  sourcemap: true,
  clean: true,
  target: 'node20',
});
