#!/usr/bin/env node
// `prepack` of every publishable package. The repository's LICENSE goes into the tarball (npm
// takes it only from the package's own folder; the copy there is git-ignored). And packing an
// unbuilt (or stale) package builds it first,
// with the packages it depends on (turbo), so a tarball never lacks its dist. When dist is
// already newer than every source file nothing runs, so packing inside a test run (dist fresh,
// other tasks reading it) never rewrites dist under them.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.cwd();
const { name } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
const built = join(dir, 'dist', 'index.js');
copyFileSync(join(dir, '..', '..', 'LICENSE'), join(dir, 'LICENSE'));

function newestSource(path) {
  let newest = 0;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const full = join(path, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(full) : statSync(full).mtimeMs);
  }
  return newest;
}

const sources = ['src', 'proto'].filter((d) => existsSync(join(dir, d)));
const stale =
  !existsSync(built) ||
  Math.max(...sources.map((d) => newestSource(join(dir, d))), statSync(join(dir, 'package.json')).mtimeMs) >
    statSync(built).mtimeMs;
if (stale) {
  console.error(`${name}: dist is missing or older than its sources; building it (and its dependencies)`);
  execFileSync('pnpm', ['exec', 'turbo', 'run', 'build', `--filter=${name}`, '--output-logs=errors-only'], {
    cwd: dir,
    stdio: 'inherit',
  });
}
