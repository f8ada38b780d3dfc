import { defineConfig } from 'tsup';

export default defineConfig({
  // The pool worker is its own entry so that piscina can load dist/validation-worker.js.
  entry: ['src/index.ts', 'src/validation-worker.ts'],
  format: ['esm'],
  dts: { entry: 'src/index.ts' },
  sourcemap: true,
  clean: true,
  // Makes `import.meta.url` work in the CJS build (used to locate the worker and native modules).
  shims: true,
  target: 'node20',
});
