import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDevnetSummary, parseRss, percentile } from '../src/node-bench.mjs';
import { parseTables } from '../src/parse.mjs';
import {
  assembleReport,
  bestStep,
  consensusSyncFigures,
  judgeStep,
  nodeSection,
  packageSection,
  ratio,
} from '../src/report.mjs';

const sample = (name) => readFileSync(join(import.meta.dirname, 'samples', name), 'utf8');
const pkg = (name, file) => ({
  name,
  command: `pnpm --filter ${name} bench`,
  code: 0,
  output: sample(file),
  seconds: 12.3,
});

const machine = {
  cpu: 'Test CPU',
  cores: 2,
  ramGiB: '24.0',
  node: 'v20.20.2',
  os: 'TestOS',
  date: '2026-01-01T00:00:00.000Z',
  commit: 'abc1234',
};

const summary = (accepted, inBlocks, tipsAgree = true) => ({
  found: true,
  accepted,
  rejected: 0,
  inBlocks,
  blocks: 40,
  tipsAgree,
  elapsedS: 11,
});
const step = (nodes, rate, inBlocks, tipsAgree = true) =>
  judgeStep({
    nodes,
    rate,
    durationS: 10,
    slotMs: 250,
    summary: summary(inBlocks, inBlocks, tipsAgree),
    rss: [150e6, 160e6],
    rtts: [1, 2],
    propagation: [],
  });

function fakeNode() {
  const steps = [step(4, 20, 200), step(4, 50, 500), step(4, 100, 700)];
  return {
    config: { nodes: 4, slotMs: 250, stepS: 10 },
    propagationRate: 20,
    idleRss: 40 * 1024 * 1024,
    steps,
    single: step(1, 1000, 900),
    best: bestStep(steps),
    rss: [150 * 1024 * 1024, 160 * 1024 * 1024],
    rttMeanMs: 1.5,
    propagation: { count: 50, p50: 12, p99: 90, meanPollMs: 2 },
    sync: {
      ok: true,
      blocks: 300,
      height: 300,
      totalS: 1.5,
      afterReadyS: 1.2,
      chain: { slotMs: 50, rate: 50, txs: 3000 },
    },
    consensusSync: consensusSyncFigures(sample('consensus.txt')),
  };
}

describe('node-bench parsers', () => {
  it('reads the devnet summary', () => {
    const s = parseDevnetSummary(sample('devnet-summary.txt'));
    expect(s).toMatchObject({
      found: true,
      accepted: 20,
      rejected: 0,
      inBlocks: 19,
      blocks: 21,
      tipsAgree: true,
    });
    expect(s.reason).toBe('duration reached');
    expect(
      parseDevnetSummary('tips agree:    NO\ntransactions:  5 accepted, 1 rejected, ? in blocks').tipsAgree,
    ).toBe(false);
    expect(parseDevnetSummary('garbage').found).toBe(false);
  });

  it('reads RSS from Prometheus text, with or without a prefix', () => {
    expect(parseRss('# HELP x\ntc_node_process_resident_memory_bytes 123456\n')).toBe(123456);
    expect(parseRss('process_resident_memory_bytes 7.5e+7')).toBe(75_000_000);
    expect(parseRss('nothing here')).toBeNaN();
  });

  it('takes nearest-rank percentiles', () => {
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it("extracts the consensus bench's sync figures", () => {
    expect(consensusSyncFigures(sample('consensus.txt'))).toEqual({ pool: 11542, quota: 559 });
    const none = consensusSyncFigures('');
    expect(none.pool).toBeNaN();
  });
});

describe('steps', () => {
  it('judges kept-up by included tx/s against the offered rate and picks the highest agreeing step', () => {
    const steps = [step(4, 20, 200), step(4, 50, 480), step(4, 100, 990, false), step(4, 200, 1000)];
    expect(steps.map((s) => s.keptUp)).toEqual([true, true, true, false]);
    expect(bestStep(steps)?.rate).toBe(50);
    expect(bestStep([step(4, 20, 10)])).toBeUndefined();
    expect(steps.map((s) => s.verdict)).toEqual([
      'pass',
      'pass',
      'fail: tips disagree',
      'fail: client-bound (generator submitted less than offered; all of it included)',
    ]);
    const slow = judgeStep({ ...steps[0], summary: summary(200, 50) });
    expect(slow.verdict).toBe('fail: not included in time');
  });

  it('formats ratios and refuses missing baselines', () => {
    expect(ratio(3, 2)).toBe('1.50×');
    expect(ratio(3, Number.NaN)).toBe('n/a');
    expect(ratio(3, 0)).toBe('n/a');
  });
});

describe('report assembly', () => {
  it('keeps a table-printing package as a table', () => {
    const s = packageSection(pkg('@tc/wire', 'wire.txt'));
    expect(s).toContain('## @tc/wire');
    expect(parseTables(s)[0].rows).toHaveLength(11);
    expect(s).not.toContain('prints no markdown table');
  });

  it('embeds the raw output of a package without a table, and says so', () => {
    const s = packageSection(pkg('@tc/consensus', 'consensus.txt'));
    expect(s).toContain('prints no markdown table');
    expect(s).toContain('```text');
    expect(s).toContain('pool validation only (2 workers)');
    expect(s).not.toContain('> @tc/consensus@0.1.0 bench');
  });

  it('survives an empty or failed output', () => {
    const s = packageSection({ name: '@tc/x', command: 'x', code: 1, output: '', seconds: 0 });
    expect(s).toContain('(no output)');
    expect(s).toContain('exit 1');
  });

  it('builds the node table with every figure, its baseline and a ratio', () => {
    const s = nodeSection(fakeNode());
    const [headline, steps] = parseTables(s);
    expect(headline.header).toEqual(['figure', 'tc', 'baseline (same run)', 'ratio tc/baseline']);
    expect(headline.rows.map((r) => r[0])).toEqual([
      'devnet tx/s where tips still agree (included in blocks)',
      'block propagation, producer → all peers, p50',
      'block propagation, producer → all peers, p99',
      'sync of a fresh node (spawn → tip)',
      'RSS per node (mean of the devnet nodes, at the end of the best step)',
    ]);
    expect(headline.rows[0][1]).toContain('step 50 tx/s');
    expect(headline.rows[1][3]).toBe('8.00×');
    expect(headline.rows[3][1]).toContain('200.0 blocks/s');
    expect(headline.rows[3][2]).toContain('11,542.0');
    expect(headline.rows[4][3]).toBe('3.88×');
    expect(steps.rows).toHaveLength(4);
    expect(steps.rows[3][9]).toBe('(baseline)');
    expect(steps.rows[1][9]).toBe('pass');
    expect(steps.rows[2][9]).toMatch(/^fail: client-bound/);
    expect(s).toContain('is a lower bound: at 100 tx/s the generator itself submitted only 70.0 tx/s');
  });

  it('with the load tool, its tables replace the devnet tx/s row and steps', () => {
    const markdown = '### 4 nodes, 1000 ms slots\n\n| offered tx/s | lost |\n| ---: | ---: |\n| 250 | 0 |';
    const s = nodeSection({ ...fakeNode(), load: { ok: true, markdown, result: {} } });
    const [headline, load] = parseTables(s);
    expect(headline.rows.map((r) => r[0])).not.toContain(
      'devnet tx/s where tips still agree (included in blocks)',
    );
    expect(s).toContain('### Transaction load (`tools/load`)');
    expect(load.header).toEqual(['offered tx/s', 'lost']);
    expect(s).not.toContain('### Transaction-rate steps');
    const failed = nodeSection({ ...fakeNode(), load: { ok: false, output: 'boom' } });
    expect(failed).toContain('The load tool failed');
    expect(failed).toContain('boom');
  });

  it('assembles the whole report: machine first, node level, then each package', () => {
    const r = assembleReport({
      machine,
      packages: [pkg('@tc/wire', 'wire.txt'), pkg('@tc/storage', 'storage.txt')],
      node: fakeNode(),
      quick: true,
      totalS: 300,
    });
    expect(r.indexOf('## Machine')).toBeLessThan(r.indexOf('## Node level'));
    expect(r.indexOf('## Node level')).toBeLessThan(r.indexOf('## @tc/wire'));
    expect(r).toContain('| CPU | Test CPU |');
    expect(r).toContain('| RAM | 24.0 GiB |');
    expect(r).toContain('-- --quick');
    expect(r).toContain('## @tc/storage');
    expect(r.endsWith('\n')).toBe(true);
    expect(r).not.toMatch(/\n\n\n/);
  });

  it('says when the node level was skipped', () => {
    const r = assembleReport({ machine, packages: [], node: undefined, quick: false, totalS: 1 });
    expect(r).toContain('Not run');
  });
});

describe('TipWatcher bookkeeping', () => {
  it('drops the starting tip and the warm-up, and counts blocks not every node saw', async () => {
    const { TipWatcher } = await import('../src/node-bench.mjs');
    const w = new TipWatcher(['u0', 'u1'], 10);
    const put = (hash, times) => w.seen.set(hash, new Map(times.map((t, i) => [i, t])));
    put('start', [0, 0]);
    put('warm', [50, 90]);
    put('b1', [200, 212]);
    w.seen.set('gone', new Map([[0, 300]]));
    put('b2', [400, 430]);
    expect(w.propagation()).toEqual([40, 12, 30]);
    expect(w.propagation(100)).toEqual([12, 30]);
    expect(w.partial(100)).toBe(1);
    expect(w.meanPollMs()).toBeNaN();
  });
});
