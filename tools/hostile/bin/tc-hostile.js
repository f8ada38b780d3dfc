#!/usr/bin/env node
// The installed `tc-hostile` command: a committed file rather than dist/cli.js itself, so that
// `pnpm install` on a fresh clone can link it before anything is built; it runs the built CLI.
import '../dist/cli.js';
