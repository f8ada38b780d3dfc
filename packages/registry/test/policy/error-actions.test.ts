import { describe, expect, it } from 'vitest';
import {
  DEFAULT_BAN_MS,
  DEFAULT_ERROR_ACTIONS,
  ErrorActionTable,
  REGISTRY_ERROR_CODES,
  UNKNOWN_CODE_RULE,
} from '../../src/peer-score/index.js';

describe('DEFAULT_ERROR_ACTIONS', () => {
  it('has a rule for every registry code and nothing else', () => {
    expect(Object.keys(DEFAULT_ERROR_ACTIONS).sort()).toEqual([...REGISTRY_ERROR_CODES].sort());
  });

  it.each([
    ['FRAME_TOO_LARGE', 'ban'],
    ['MALFORMED_FRAME', 'disconnect'],
    ['DECODER_BROKEN', 'disconnect'],
    ['HANDSHAKE_TIMEOUT', 'disconnect'],
    ['BAD_HANDSHAKE_SIGNATURE', 'ban'],
    ['WRONG_NETWORK', 'disconnect'],
    ['INCOMPATIBLE_VERSION', 'disconnect'],
    ['MESSAGE_BEFORE_HANDSHAKE', 'disconnect'],
    ['UNEXPECTED_RESPONSE', 'score'],
    ['RATE_LIMITED', 'ignore'],
    ['RATE_LIMIT_ABUSE', 'disconnect'],
    ['QUEUE_OVERFLOW', 'disconnect'],
    ['TOO_SLOW', 'disconnect'],
    ['PING_TIMEOUT', 'disconnect'],
    ['REQUEST_TIMEOUT', 'ignore'],
    ['UNKNOWN_KIND', 'ignore'],
    ['INVALID_RESPONSE', 'score'],
    ['INBOUND_REQUEST_LIMIT', 'ignore'],
  ])('%s → %s', (code, action) => {
    expect(new ErrorActionTable().resolve(code).action).toBe(action);
  });

  it('never scores honest trouble: slow peers, timeouts of the handshake, wrong network', () => {
    const table = new ErrorActionTable();
    for (const code of ['QUEUE_OVERFLOW', 'TOO_SLOW', 'HANDSHAKE_TIMEOUT', 'WRONG_NETWORK', 'PING_TIMEOUT']) {
      expect(table.resolve(code).scoreDelta ?? 0, code).toBe(0);
    }
  });

  it('never charges what an honest peer under load does: over a quota, a timeout', () => {
    const table = new ErrorActionTable();
    for (const code of ['RATE_LIMITED', 'REQUEST_TIMEOUT', 'INBOUND_REQUEST_LIMIT']) {
      expect(table.resolve(code).action, code).toBe('ignore');
      expect(table.resolve(code).scoreDelta ?? 0, code).toBe(0);
    }
  });

  it('every ban rule carries a duration once resolved', () => {
    for (const [code, rule] of new ErrorActionTable().entries()) {
      if (rule.action === 'ban') expect(rule.banMs, code).toBeGreaterThan(0);
      expect(rule.description, code).toBeTruthy();
    }
  });
});

describe('ErrorActionTable', () => {
  it('resolves unknown codes to a conservative small penalty', () => {
    const rule = new ErrorActionTable().resolve('SOMETHING_NEW');
    expect(rule).toBe(UNKNOWN_CODE_RULE);
    expect(rule.action).toBe('score');
    expect(rule.scoreDelta).toBe(-1);
  });

  it('takes overrides from later packages and may replace defaults', () => {
    const table = new ErrorActionTable({
      INVALID_BLOCK: { action: 'ban', banMs: 3_600_000, description: 'consensus: bad block' },
      UNKNOWN_PARENT: { action: 'ignore' },
      BAD_TX: { action: 'ban' },
      REQUEST_TIMEOUT: { action: 'score', scoreDelta: -2 },
    });
    expect(table.resolve('INVALID_BLOCK')).toMatchObject({ action: 'ban', banMs: 3_600_000 });
    expect(table.resolve('UNKNOWN_PARENT').action).toBe('ignore');
    expect(table.resolve('BAD_TX').banMs).toBe(DEFAULT_BAN_MS);
    expect(table.resolve('REQUEST_TIMEOUT').action).toBe('score');
    expect(table.has('INVALID_BLOCK')).toBe(true);
    const codes = table.entries().map(([code]) => code);
    expect(codes.slice(-3)).toEqual(['INVALID_BLOCK', 'UNKNOWN_PARENT', 'BAD_TX']);
    expect(codes).toHaveLength(REGISTRY_ERROR_CODES.length + 3);
  });

  it('validates overrides at construction and freezes rules', () => {
    expect(() => new ErrorActionTable({ X: { action: 'explode' as never } })).toThrow(RangeError);
    expect(() => new ErrorActionTable({ X: { action: 'score', scoreDelta: Number.NaN } })).toThrow(
      RangeError,
    );
    expect(() => new ErrorActionTable({ X: { action: 'ban', banMs: 0 } })).toThrow(RangeError);
    const table = new ErrorActionTable({ X: { action: 'score', scoreDelta: -3 } });
    expect(Object.isFrozen(table.resolve('X'))).toBe(true);
    expect(Object.isFrozen(table.resolve('FRAME_TOO_LARGE'))).toBe(true);
  });
});
