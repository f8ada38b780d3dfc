import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanOutput, parseBlocks, parseNumber, parseTables, renderTable, splitRow } from '../src/parse.mjs';

const sample = (name) => readFileSync(join(import.meta.dirname, 'samples', name), 'utf8');

describe('cleanOutput', () => {
  it("drops pnpm's banner and ANSI colours, keeps the rest", () => {
    const out = cleanOutput(
      '\n> @tc/x@0.1.0 bench /x\n> node bench/run.mjs\n\n\u001b[32mhello\u001b[0m\nworld\n\n',
    );
    expect(out).toBe('hello\nworld');
  });
});

describe('splitRow', () => {
  it('splits cells and keeps escaped pipes', () => {
    expect(splitRow('| a | b \\| c |  d |')).toEqual(['a', 'b \\| c', 'd']);
    expect(splitRow('a | b')).toEqual(['a', 'b']);
  });
});

describe('parseTables', () => {
  it('finds the wire table with its title and every row', () => {
    const tables = parseTables(sample('wire.txt'));
    expect(tables).toHaveLength(1);
    const t = tables[0];
    expect(t.title).toMatch(/^@tc\/wire benchmark/);
    expect(t.header).toEqual(['what', 'tc', 'baseline', 'ratio tc/baseline', 'baseline is']);
    expect(t.rows).toHaveLength(11);
    expect(t.align).toEqual(['left', 'right', 'right', 'right', 'left']);
    expect(t.rows[0][0]).toBe('encode+frame, 1-tx block');
  });

  it('finds no table in outputs that are aligned text', () => {
    for (const name of ['storage.txt', 'registry.txt', 'consensus.txt', 'node.txt']) {
      expect(parseTables(sample(name))).toEqual([]);
    }
  });

  it('parses two tables with a title line between them, and pads short rows', () => {
    const text = 'intro\n\nA\n| x | y |\n|---|--:|\n| 1 | 2 |\n| 3 |\nmiddle\n| p |\n|:-:|\n| q |\ntail';
    const blocks = parseBlocks(text);
    expect(blocks.map((b) => b.type)).toEqual(['text', 'table', 'table', 'text']);
    expect(blocks[1].title).toBe('A');
    expect(blocks[1].rows).toEqual([
      ['1', '2'],
      ['3', ''],
    ]);
    // the line right above a table is its title
    expect(blocks[2].align).toEqual(['center']);
    expect(blocks[2].title).toBe('middle');
    expect(blocks[3].lines).toEqual(['tail']);
  });

  it('does not take a lone pipe line or a header without a separator as a table', () => {
    expect(parseTables('| not | a table |\nplain text\n|---|')).toEqual([]);
    expect(parseTables('')).toEqual([]);
  });

  it('renders a parsed table back to equivalent markdown', () => {
    const [t] = parseTables(sample('wire.txt'));
    const again = parseTables(renderTable(t));
    expect(again[0].rows).toEqual(t.rows);
    expect(again[0].header).toEqual(t.header);
  });
});

describe('parseNumber', () => {
  it('reads figures with separators and units', () => {
    expect(parseNumber('791,690/s')).toBe(791690);
    expect(parseNumber('3.16×')).toBe(3.16);
    expect(parseNumber('-')).toBeNaN();
  });
});
