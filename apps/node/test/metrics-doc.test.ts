import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createNodeMetrics } from '../src/internal.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

async function names(withNode: boolean): Promise<Set<string>> {
  const register = new Registry();
  const metrics = withNode ? createNodeMetrics(register) : undefined;
  if (!withNode) collectDefaultMetrics({ register, prefix: 'tc_node_' });
  const json = await register.getMetricsAsJSON();
  metrics?.close();
  return new Set(json.map((m) => m.name));
}

describe('docs/METRICS.md and the dashboard', () => {
  it('every tc_node_* metric of our own is documented', async () => {
    const doc = readFileSync(join(root, 'docs', 'METRICS.md'), 'utf8');
    const defaults = await names(false);
    const own = [...(await names(true))].filter((n) => !defaults.has(n));
    expect(own.length).toBeGreaterThan(10);
    for (const n of own) expect(doc, n).toContain(`\`${n}\``);
  });

  it('every tc_node_* metric the dashboard queries exists', async () => {
    const dash = readFileSync(join(root, 'dashboards', 'tc-node.json'), 'utf8');
    JSON.parse(dash);
    const all = await names(true);
    const used = new Set(
      [...dash.matchAll(/\b(tc_node_[a-z_]+?)(?:_bucket|_sum|_count)?\b/g)].map((m) => m[1] as string),
    );
    expect(used.size).toBeGreaterThan(5);
    for (const n of used) expect(all.has(n), n).toBe(true);
    for (const pkg of ['tc_registry_', 'tc_consensus_', 'tc_storage_']) expect(dash).toContain(pkg);
  });
});
