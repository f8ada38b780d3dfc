import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// Packs the package exactly as it would be published (prepack builds it first) and installs it
// with plain npm into a scratch project, then imports it from ESM and, through Node's
// require(esm), from CommonJS: the package is ESM-only (docs/CONVENTIONS.md).
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'tc-wire-pack-'));

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const run = (cmd: string, args: string[], cwd: string) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 180_000 });

describe('published package', () => {
  it('installs from its tarball with npm and imports from ESM and CJS', () => {
    run('pnpm', ['pack', '--pack-destination', scratch], packageDir);
    const tarball = readdirSync(scratch).find((f) => f.endsWith('.tgz'));
    const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(tarball).toBe(`tc-wire-${version}.tgz`);
    const project = join(scratch, 'project');
    run('mkdir', ['-p', project], scratch);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'scratch', private: true }));
    run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(scratch, tarball!)], project);

    const script = `
      const frame = wire.encodeFrame(wire.message('ping', { nonce: wire.u64(7n) }, 3));
      const [f] = [...new wire.FrameDecoder().push(frame)];
      console.log(f.kind + ':' + f.requestId + ':' + wire.u64ToBigInt(f.body.nonce));`;
    const esm = run(
      'node',
      ['--input-type=module', '-e', `import * as wire from '@tc/wire';${script}`],
      project,
    );
    const cjs = run(
      'node',
      ['--input-type=commonjs', '-e', `const wire = require('@tc/wire');${script}`],
      project,
    );
    expect(esm.trim()).toBe('ping:3:7');
    expect(cjs.trim()).toBe('ping:3:7');
    const files = run('ls', ['node_modules/@tc/wire/dist'], project);
    expect(files).toContain('index.d.ts');
    expect(files).not.toContain('.cjs'); // ESM only
    // The schema ships with it, for other implementations.
    // The schema ships with it, for other implementations, as the `./proto/*` export.
    const protoUrl = run(
      'node',
      ['--input-type=module', '-e', "console.log(import.meta.resolve('@tc/wire/proto/tc/v1/wire.proto'))"],
      project,
    ).trim();
    const schema = readFileSync(new URL(protoUrl), 'utf8');
    expect(schema).toContain('message Envelope');
  });
});
