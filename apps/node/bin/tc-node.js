#!/usr/bin/env node
// The installed `tc-node` command. A committed file rather than dist/cli.js itself, so that
// `pnpm install` on a fresh clone can link the bin into dependants (tools/chaos) before anything
// is built; it runs the built CLI.
import '../dist/cli.js';
