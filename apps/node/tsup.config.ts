import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

// The version is package.json's, fixed at build time: agent string, --version and tc_node_info follow releases.
const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as {
  version: string;
};

// One build for both entries so `clean` cannot race: the library (src/index.ts, ESM + CJS + .d.ts)
// and the `tc-node` executable (src/cli.ts → dist/cli.js). The shebang banner is harmless in the
// library files (Node strips a leading `#!` line) and required on dist/cli.js.
export default defineConfig({
  entry: { index: 'src/index.ts', internal: 'src/internal.ts', cli: 'src/cli.ts' },
  format: ['esm'],
  dts: { entry: { index: 'src/index.ts', internal: 'src/internal.ts' } },
  sourcemap: true,
  clean: true,
  target: 'node20',
  banner: { js: '#!/usr/bin/env node' },
  define: { __TC_NODE_VERSION__: JSON.stringify(version) },
});
