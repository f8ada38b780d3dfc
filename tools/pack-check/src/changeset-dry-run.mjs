// Runs `changeset version` on a copy of the workspace manifests with one changeset, and reports
// every package's version before and after: what a release of that changeset would publish.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './pack-check.mjs';

const CHANGESET = join(ROOT, 'node_modules', '.bin', 'changeset');

/** Workspace package folders (relative), from pnpm-workspace.yaml's `dir/*` globs. */
function workspaceDirs() {
  const globs = [
    ...readFileSync(join(ROOT, 'pnpm-workspace.yaml'), 'utf8').matchAll(/^\s*-\s*(\w+)\/\*\s*$/gm),
  ].map((m) => m[1]);
  return globs.flatMap((base) =>
    readdirSync(join(ROOT, base), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => `${base}/${e.name}`)
      .filter((dir) => {
        try {
          readFileSync(join(ROOT, dir, 'package.json'));
          return true;
        } catch {
          return false;
        }
      }),
  );
}

/**
 * @param {Record<string, 'major' | 'minor' | 'patch'>} bumps
 * @returns {{ name: string, private: boolean, before: string, after: string, changelog: boolean, dependencies: Record<string, string> }[]}
 */
export function changesetDryRun(bumps) {
  const scratch = mkdtempSync(join(tmpdir(), 'tc-changeset-'));
  try {
    for (const file of ['package.json', 'pnpm-workspace.yaml']) cpSync(join(ROOT, file), join(scratch, file));
    mkdirSync(join(scratch, '.changeset'));
    cpSync(join(ROOT, '.changeset', 'config.json'), join(scratch, '.changeset', 'config.json'));
    const frontmatter = Object.entries(bumps).map(([name, bump]) => `"${name}": ${bump}`);
    writeFileSync(
      join(scratch, '.changeset', 'dry-run.md'),
      `---\n${frontmatter.join('\n')}\n---\n\nDry run.\n`,
    );
    const dirs = workspaceDirs();
    for (const dir of dirs) {
      mkdirSync(join(scratch, dir), { recursive: true });
      cpSync(join(ROOT, dir, 'package.json'), join(scratch, dir, 'package.json'));
    }
    const before = new Map(
      dirs.map((d) => [d, JSON.parse(readFileSync(join(scratch, d, 'package.json'), 'utf8'))]),
    );
    // changesets finds the workspace with git: a repository of its own, nothing committed needed.
    execFileSync('git', ['init', '-q'], { cwd: scratch });
    execFileSync(CHANGESET, ['version'], {
      cwd: scratch,
      stdio: 'pipe',
      env: { ...process.env, CI: 'true' },
    });
    return dirs.map((dir) => {
      const after = JSON.parse(readFileSync(join(scratch, dir, 'package.json'), 'utf8'));
      const old = before.get(dir);
      let changelog = false;
      try {
        readFileSync(join(scratch, dir, 'CHANGELOG.md'));
        changelog = true;
      } catch {}
      return {
        name: after.name,
        private: after.private === true,
        before: old.version,
        after: after.version,
        changelog,
        dependencies: after.dependencies ?? {},
      };
    });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
