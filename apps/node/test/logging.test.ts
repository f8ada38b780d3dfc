import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { componentLogger, createLogger, peerLogger, wantsPretty } from '../src/index.js';

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

  it('pretty only on a TTY with format auto, or when asked', () => {
    expect(wantsPretty('auto', 1, true)).toBe(true);
    expect(wantsPretty('auto', 1, false)).toBe(false);
    expect(wantsPretty('json', 1, true)).toBe(false);
    expect(wantsPretty('pretty', 1, false)).toBe(true);
  });
});
