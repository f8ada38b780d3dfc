// Parsing of package benchmark output: markdown tables are kept as tables, everything else is
// kept verbatim. A package whose output has no table is embedded raw (and the report says so).

/** Strips ANSI colour codes and pnpm's `> @tc/x bench …` banner lines. */
export function cleanOutput(text) {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences
  const noAnsi = String(text).replace(/\u001b\[[0-9;]*[A-Za-z]/g, '');
  const lines = noAnsi.split(/\r?\n/);
  const out = [];
  let i = 0;
  // pnpm prints an empty line, `> pkg@ver bench /path`, `> command`, an empty line.
  while (i < lines.length && (lines[i].trim() === '' || lines[i].startsWith('> '))) i++;
  for (; i < lines.length; i++) out.push(lines[i]);
  while (out.length > 0 && out[out.length - 1].trim() === '') out.pop();
  return out.join('\n');
}

/** Splits one markdown table row into trimmed cells (`| a | b |` → ['a', 'b']). */
export function splitRow(line) {
  let s = line.trim();
  if (s.startsWith('|')) s = s.slice(1);
  if (s.endsWith('|') && !s.endsWith('\\|')) s = s.slice(0, -1);
  const cells = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && s[i + 1] === '|') {
      cur += '\\|';
      i++;
    } else if (c === '|') {
      cells.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  cells.push(cur.trim());
  return cells;
}

const SEPARATOR = /^\s*\|?\s*:?-{1,}:?\s*(\|\s*:?-{1,}:?\s*)*\|?\s*$/;

function isRow(line) {
  return line.trim().startsWith('|') && line.includes('|', line.indexOf('|') + 1);
}

/**
 * Finds the markdown tables in `text`. Returns blocks in order: `{ type: 'table', header,
 * align, rows, title }` and `{ type: 'text', lines }` for everything between tables. A table is a
 * header row, a separator row and any number of body rows; rows with a different cell count are
 * padded or cut to the header's.
 * @param {string} text
 * @returns {Array<{ type: string, title?: string, header?: string[], align?: string[], rows?: string[][], lines?: string[] }>}
 */
export function parseBlocks(text) {
  const lines = cleanOutput(text).split('\n');
  /** @type {Array<{ type: string, title?: string, header?: string[], align?: string[], rows?: string[][], lines?: string[] }>} */
  const blocks = [];
  let pending = [];
  const flushText = () => {
    while (pending.length && pending[0].trim() === '') pending.shift();
    while (pending.length && pending[pending.length - 1].trim() === '') pending.pop();
    if (pending.length) blocks.push({ type: 'text', lines: pending });
    pending = [];
  };
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    const next = lines[i + 1];
    if (isRow(line) && next !== undefined && SEPARATOR.test(next) && next.includes('-')) {
      const header = splitRow(line);
      const align = splitRow(next).map((c) =>
        c.startsWith(':') && c.endsWith(':') ? 'center' : c.endsWith(':') ? 'right' : 'left',
      );
      // The line right before a table (if it is not blank) is its title.
      let title;
      if (pending.length && pending[pending.length - 1].trim() !== '') title = pending.pop().trim();
      flushText();
      const rows = [];
      i += 2;
      while (i < lines.length && isRow(lines[i])) {
        const cells = splitRow(lines[i]);
        while (cells.length < header.length) cells.push('');
        rows.push(cells.slice(0, header.length));
        i++;
      }
      blocks.push({ type: 'table', title, header, align: align.slice(0, header.length), rows });
      continue;
    }
    pending.push(line);
    i++;
  }
  flushText();
  return blocks;
}

/** The tables of `text` only. */
export function parseTables(text) {
  return parseBlocks(text).filter((b) => b.type === 'table');
}

/** Index of the first header cell matching `re`, or -1. */
export function findColumn(header, re) {
  return header.findIndex((h) => re.test(h));
}

/** Parses a figure such as `791,690/s`, `3.16×`, `1.2 ms`, `415` into a number (NaN if none). */
export function parseNumber(cell) {
  const m = String(cell)
    .replace(/,/g, '')
    .match(/-?\d+(\.\d+)?(e[+-]?\d+)?/i);
  return m ? Number(m[0]) : Number.NaN;
}

/** Renders a table block back to markdown. */
export function renderTable(table) {
  const esc = (c) => String(c).replace(/\n/g, ' ');
  const sep = table.align.map((a) => (a === 'right' ? '---:' : a === 'center' ? ':---:' : '---'));
  while (sep.length < table.header.length) sep.push('---');
  return [
    `| ${table.header.map(esc).join(' | ')} |`,
    `| ${sep.join(' | ')} |`,
    ...table.rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}
