import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { componentLogger, createLogger, packageLogger, peerLogger, wantsPretty } from '../src/internal.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { lines, stream };
}

describe('logging', () => {
  it('JSON lines with a component on child loggers and a peer id on peer lines', () => {
    const { lines, stream } = capture();
    const root = createLogger({ level: 'debug', stream });
    const registry = componentLogger(root, 'registry');
    registry.info('listening');
    const peer = peerLogger(registry, { id: 'ab'.repeat(32), address: '10.0.0.2:7700' });
    peer.warn({ code: 'TIMEOUT' }, 'request timed out');
    peerLogger(root, 'short').debug('x');
    expect(lines[0]).toMatchObject({ level: 'info', component: 'registry', msg: 'listening' });
    expect(typeof lines[0]?.time).toBe('string');
    expect(lines[1]).toMatchObject({
      level: 'warn',
      component: 'registry',
      peer: 'abababababababab',
      peerAddr: '10.0.0.2:7700',
      code: 'TIMEOUT',
    });
    expect(lines[2]).toMatchObject({ peer: 'short' });
  });

  it("a package's `module` sub-logger becomes the line's one `component`; its peer field stays", () => {
    const chunks: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, cb) {
        chunks.push(chunk.toString());
        cb();
      },
    });
    const root = createLogger({ level: 'debug', stream });
    const consensus = packageLogger(root, 'consensus');
    consensus.info({ height: 3 }, 'reorg');
    // What @tc/registry does inside ConsensusNode: childLogger(logger, { module: 'registry', node }).
    const registry = consensus.child({ module: 'registry', node: 'ee96' });
    registry.debug({ peer: 'c13e02ecd3ab', dir: 'inbound' }, 'peer connected');
    registry.warn('ban store failed');
    const lines = chunks.join('').split('\n').filter(Boolean);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ component: 'consensus', height: 3, msg: 'reorg' });
    expect(JSON.parse(lines[1] as string)).toMatchObject({
      component: 'registry',
      node: 'ee96',
      peer: 'c13e02ecd3ab',
      msg: 'peer connected',
    });
    // Exactly one `component` key in the raw line (no duplicate from nesting).
    expect((lines[1] as string).match(/"component"/g)).toHaveLength(1);
    expect(JSON.parse(lines[2] as string)).toMatchObject({ component: 'registry', level: 'warn' });
  });

  it('pretty only on a TTY with format auto, or when asked', () => {
    expect(wantsPretty('auto', 1, true)).toBe(true);
    expect(wantsPretty('auto', 1, false)).toBe(false);
    expect(wantsPretty('json', 1, true)).toBe(false);
    expect(wantsPretty('pretty', 1, false)).toBe(true);
  });
});
