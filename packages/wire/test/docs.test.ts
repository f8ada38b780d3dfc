import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_REPLY_CODES, encodeFrame, KIND_FIELD_NUMBERS, message } from '../src/index.js';

// The README is the wire's specification for other implementations: its tables are the code's.
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

function rowsAfter(heading: string): string[][] {
  const from = readme.indexOf(heading);
  expect(from, heading).toBeGreaterThanOrEqual(0);
  const rows: string[][] = [];
  let inTable = false;
  for (const line of readme.slice(from).split('\n').slice(1)) {
    if (line.startsWith('|')) {
      inTable = true;
      if (!/^\|\s*-/.test(line))
        rows.push(
          line
            .split('|')
            .slice(1, -1)
            .map((c) => c.trim()),
        );
    } else if (inTable) break;
  }
  return rows.slice(1);
}

describe('README matches the code', () => {
  it('the schema table names every kind with its field number', () => {
    const documented: Record<string, number> = {};
    for (const [fields, kinds] of rowsAfter('## Schema')) {
      const numbers = fields!.split('/').map(Number);
      const names = [...kinds!.matchAll(/`(\w+)`/g)].map((m) => m[1]!);
      expect(names.length, kinds).toBe(numbers.length);
      names.forEach((name, i) => {
        documented[name] = numbers[i]!;
      });
    }
    expect(documented).toEqual({ ...KIND_FIELD_NUMBERS });
  });

  it('the error reply codes', () => {
    const documented = Object.fromEntries(
      rowsAfter('### Error reply codes').map(([code, name]) => [name!.replace(/`/g, ''), Number(code)]),
    );
    expect(documented).toEqual({ ...ERROR_REPLY_CODES });
  });

  it('the frame example encodes to the bytes shown', () => {
    const m = /Example: `getChainTip` with request id (\d+) is `([0-9a-f |]+)`/.exec(readme);
    expect(m).not.toBeNull();
    const shown = m![2]!.replace(/[\s|]/g, '');
    const encoded = Buffer.from(encodeFrame(message('getChainTip', {}, Number(m![1])))).toString('hex');
    expect(encoded).toBe(shown);
  });
});
