import { readFileSync } from 'node:fs';
import { expectPublicApiDocumented } from '@tc/test-utils';
import { describe, expect, it } from 'vitest';
import { FOREIGN_PROTOCOL, FOREIGN_PROTOCOL_RULE } from '../src/foreign-protocol.js';
import { DEFAULT_ERROR_ACTIONS, REGISTRY_ERROR_CODES } from '../src/peer-score/error-actions.js';
import { DEFAULT_RATE_QUOTA, DEFAULT_RATE_QUOTAS } from '../src/rate-limiter/index.js';

// docs/LIMITS.md is what operators and other implementations read: its tables must be the code's.
const limits = readFileSync(new URL('../docs/LIMITS.md', import.meta.url), 'utf8');

/** The body rows of the first table after `heading`, as trimmed cells. */
function tableAfter(text: string, heading: string): string[][] {
  const from = text.indexOf(heading);
  expect(from, heading).toBeGreaterThanOrEqual(0);
  const rows: string[][] = [];
  let inTable = false;
  for (const line of text.slice(from).split('\n').slice(1)) {
    if (line.startsWith('|')) {
      inTable = true;
      if (/^\|\s*-/.test(line)) continue;
      rows.push(
        line
          .split('|')
          .slice(1, -1)
          .map((c) => c.trim()),
      );
    } else if (inTable) break;
  }
  return rows.slice(1); // the header row
}

const num = (cell: string): number => {
  const text = cell.replace(/−/g, '-').replace(/\s/g, '');
  const fraction = /^(\d+)\/(\d+)/.exec(text);
  return fraction ? Number(fraction[1]) / Number(fraction[2]) : Number.parseFloat(text);
};

const durationMs = (cell: string): number | undefined => {
  const m = /^(\d+)\s*(min|h)\b/.exec(cell);
  if (!m) return undefined;
  return Number(m[1]) * (m[2] === 'h' ? 3_600_000 : 60_000);
};

describe('docs/LIMITS.md matches the code', () => {
  it('the error table: every code, its action, score and ban', () => {
    const rows = tableAfter(limits, '## Error → peer action table');
    const documented = new Set<string>();
    for (const [codeCell, action, score, ban] of rows) {
      const codes = [...codeCell!.matchAll(/`([A-Z_]+)`/g)].map((m) => m[1]!);
      for (const code of codes) {
        documented.add(code);
        const rule = code === FOREIGN_PROTOCOL ? FOREIGN_PROTOCOL_RULE : DEFAULT_ERROR_ACTIONS[code];
        expect(rule, code).toBeDefined();
        expect({ code, action: action!.split(/[\s(,]/)[0] }).toEqual({ code, action: rule!.action });
        expect({ code, score: score === '—' ? 0 : num(score!) }).toEqual({
          code,
          score: rule!.scoreDelta ?? 0,
        });
        if (rule!.action === 'ban')
          expect({ code, ban: durationMs(ban!) }).toEqual({ code, ban: rule!.banMs });
      }
    }
    for (const code of REGISTRY_ERROR_CODES) expect(documented, code).toContain(code);
  });

  it('the rate quota table: every kind, its rate and burst', () => {
    const rows = tableAfter(limits, 'will serve.');
    const documented = new Set<string>();
    for (const [kindCell, , rate, burst] of rows) {
      const kind = /^`(\w+)`/.exec(kindCell!)?.[1];
      const quota = kind ? DEFAULT_RATE_QUOTAS[kind] : DEFAULT_RATE_QUOTA;
      expect(quota, kindCell).toBeDefined();
      expect({ kind: kindCell, rate: num(rate!), burst: num(burst!) }).toEqual({
        kind: kindCell,
        rate: quota!.ratePerSec,
        burst: quota!.burst,
      });
      if (kind) documented.add(kind);
    }
    for (const kind of Object.keys(DEFAULT_RATE_QUOTAS)) expect(documented, kind).toContain(kind);
  });
});

describe('README "Public API" matches src/index.ts', () => {
  it('lists every public export, and only those', async () => {
    expectPublicApiDocumented(new URL('..', import.meta.url), await import('../src/index.js'));
  });
});
