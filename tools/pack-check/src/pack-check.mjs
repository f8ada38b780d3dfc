// Checks every publishable @tc package the way a user meets it: packed as published, installed
// with plain npm into an empty project, imported from ESM and CommonJS, typechecked by a strict
// nodenext consumer, and judged by publint and attw.
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));

/** The packages the core team publishes, in dependency order. */
export const PUBLISHABLE = [
  { name: '@tc/wire', dir: 'packages/wire' },
  { name: '@tc/registry', dir: 'packages/registry' },
  { name: '@tc/storage', dir: 'packages/storage' },
  { name: '@tc/consensus', dir: 'packages/consensus' },
  { name: '@tc/node', dir: 'apps/node' },
];

const BIN = fileURLToPath(new URL('../node_modules/.bin/', import.meta.url));
const TSC = join(BIN, 'tsc');
const PUBLINT = join(BIN, 'publint');
const ATTW = join(BIN, 'attw');

function run(cmd, args, cwd, env = {}) {
  return execFileSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 300_000,
    env: { ...process.env, ...env },
  });
}

/** Runs and returns { ok, output } instead of throwing (publint and attw exit 1 on findings). */
function judge(cmd, args, cwd) {
  try {
    return { ok: true, output: run(cmd, args, cwd) };
  } catch (thrown) {
    const error = /** @type {{ stdout?: string; stderr?: string }} */ (thrown);
    return { ok: false, output: `${error.stdout ?? ''}${error.stderr ?? ''}` || String(thrown) };
  }
}

/** Packs one package with pnpm (its prepack builds it if dist is missing or stale). */
export function pack(pkg, into) {
  const before = new Set(readdirSync(into));
  run('pnpm', ['pack', '--pack-destination', into], join(ROOT, pkg.dir));
  const made = readdirSync(into).find((f) => f.endsWith('.tgz') && !before.has(f));
  if (!made) throw new Error(`${pkg.name}: pnpm pack made no tarball`);
  return join(into, made);
}

/** The package.json inside a tarball. */
export function packedManifest(tarball) {
  return JSON.parse(run('tar', ['-xOzf', tarball, 'package/package.json'], dirname(tarball)));
}

function npmInstall(project, specs) {
  mkdirSync(project, { recursive: true });
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );
  run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...specs],
    project,
  );
}

/** One smoke expression per package: its main export does something real. */
const SMOKE = {
  '@tc/wire': "[...new m.FrameDecoder().push(m.encodeFrame(m.message('ping', {}, 3)))][0].requestId === 3",
  '@tc/registry':
    'typeof m.PeerConnectionRegistry === "function" && m.NodeIdentity.generate().nodeId.length === 64',
  '@tc/storage': 'typeof m.openChainStore === "function"',
  '@tc/consensus':
    "m.toHex(m.genesisHash(m.resolveGenesisConfig({ networkId: 'x', validators: ['11'.repeat(32)], blockReward: 1, timestampMs: 1 }))).length === 64",
  '@tc/node': 'typeof m.runNode === "function" && typeof m.NODE_VERSION === "string"',
};

/**
 * Packs every package, installs the tarballs together into an empty project with npm, and
 * checks each one. Returns one record per package; `ok` is false on any failed check.
 */
/** @param {{ log?: (line: string) => void }} [options] */
export function packCheck({ log = () => {} } = {}) {
  const scratch = mkdtempSync(join(tmpdir(), 'tc-pack-check-'));
  try {
    const tarballs = join(scratch, 'tarballs');
    mkdirSync(tarballs);
    const packed = PUBLISHABLE.map((pkg) => {
      const tarball = pack(pkg, tarballs);
      log(`packed ${pkg.name}: ${tarball.slice(tarballs.length + 1)}`);
      return { ...pkg, tarball, manifest: packedManifest(tarball) };
    });
    const project = join(scratch, 'project');
    npmInstall(project, [...packed.map((p) => p.tarball), '@types/node@20.19.x']);
    log(`installed ${packed.length} tarballs with npm into ${project}`);
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          strict: true,
          noEmit: true,
          types: ['node'],
        },
        include: ['*.ts'],
      }),
    );
    const results = [];
    for (const p of packed) {
      const checks = {};
      const manifest = p.manifest;
      const internal = Object.entries({ ...manifest.dependencies, ...manifest.peerDependencies }).filter(
        ([d]) => d.startsWith('@tc/'),
      );
      checks.ranges = {
        ok: internal.every(([, range]) => /^\^\d/.test(range)),
        output: internal.map(([d, r]) => `${d} ${r}`).join(', ') || 'no @tc dependencies',
      };
      const privateDevDeps = Object.keys(manifest.devDependencies ?? {}).filter((d) => d.startsWith('@tc/'));
      checks.devDependencies = {
        ok: privateDevDeps.length === 0,
        output: privateDevDeps.join(', ') || 'none from @tc',
      };
      checks.license = {
        ok: existsSync(join(project, 'node_modules', p.name, 'LICENSE')),
        output: 'LICENSE in the tarball',
      };
      checks.esm = judge(
        'node',
        [
          '--input-type=module',
          '-e',
          `import * as m from '${p.name}'; if (!(${SMOKE[p.name]})) process.exit(1);`,
        ],
        project,
      );
      checks.cjs = judge(
        'node',
        [
          '--no-warnings',
          '--input-type=commonjs',
          '-e',
          `const m = require('${p.name}'); if (!(${SMOKE[p.name]})) process.exit(1);`,
        ],
        project,
      );
      const file = `consumer-${p.name.slice(4)}.ts`;
      writeFileSync(
        join(project, file),
        `import * as m from '${p.name}';\nexport const names: number = Object.keys(m).length;\n`,
      );
      checks.types = judge(TSC, ['-p', 'tsconfig.json'], project);
      checks.publint = judge(PUBLINT, [join(project, 'node_modules', p.name), '--strict'], project);
      checks.attw = judge(ATTW, [p.tarball, '--profile', 'esm-only', '--format', 'table-flipped'], project);
      const ok = Object.values(checks).every((c) => c.ok);
      log(
        `${ok ? 'ok  ' : 'FAIL'} ${p.name}: ${Object.entries(checks)
          .map(([k, c]) => `${k} ${c.ok ? 'ok' : 'FAIL'}`)
          .join(', ')}`,
      );
      results.push({ name: p.name, version: manifest.version, ok, checks });
    }
    return results;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * A consumer that installs @tc/registry beside a newer patch of @tc/wire: how many copies of
 * @tc/wire npm installs (one: registry's `^` range takes the patch).
 */
export function wireCopiesBesidePatch() {
  const scratch = mkdtempSync(join(tmpdir(), 'tc-pack-patch-'));
  try {
    const tarballs = join(scratch, 'tarballs');
    mkdirSync(tarballs);
    const wire = pack(PUBLISHABLE[0], tarballs);
    const registry = pack(PUBLISHABLE[1], tarballs);
    // The same wire with its patch version bumped, repacked with npm.
    const unpacked = join(scratch, 'wire-patch');
    mkdirSync(unpacked);
    run('tar', ['-xzf', wire, '-C', unpacked], scratch);
    const manifestPath = join(unpacked, 'package', 'package.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    const [major, minor, patch] = manifest.version.split('.').map(Number);
    manifest.version = `${major}.${minor}.${patch + 1}`;
    writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
    const patched = join(
      tarballs,
      run('npm', ['pack', '--ignore-scripts', '--loglevel=error', join(unpacked, 'package')], tarballs)
        .trim()
        .split('\n')
        .at(-1),
    );
    const project = join(scratch, 'project');
    npmInstall(project, [registry, patched]);
    const copies = run('find', ['node_modules', '-path', '*/@tc/wire/package.json'], project)
      .trim()
      .split('\n')
      .filter(Boolean);
    const versions = copies.map((f) => JSON.parse(readFileSync(join(project, f), 'utf8')).version);
    return { copies: copies.length, versions, patch: manifest.version };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
