import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { ChainStore } from '@tc/storage';
import { Gauge, type Registry } from 'prom-client';

/**
 * `tc_storage_*` gauges read at scrape time from the open store (`stats()`, `getTip()`) and the
 * size of its LMDB data file. @tc/storage has no metrics of its own yet (its docs/METRICS.md);
 * these cover what a scrape can read without timing the store's calls.
 */
export function registerStorageMetrics(
  register: Registry,
  source: () => { readonly store: ChainStore; readonly dir: string } | undefined,
): void {
  const registers = [register];
  new Gauge({
    name: 'tc_storage_entries',
    help: 'Entries per table of the chain store (blocks, headers, heights, undo, txIndex, utxos, peers, bans)',
    labelNames: ['table'],
    registers,
    collect() {
      const s = source();
      if (!s) return;
      try {
        for (const [table, n] of Object.entries(s.store.stats())) this.set({ table }, n);
      } catch {
        // store closed during a scrape at shutdown: leave the last values
      }
    },
  });
  new Gauge({
    name: 'tc_storage_tip_height',
    help: 'Height of the tip stored in the chain store',
    registers,
    collect() {
      const s = source();
      try {
        const tip = s?.store.getTip();
        if (tip) this.set(tip.height);
      } catch {
        // closed
      }
    },
  });
  new Gauge({
    name: 'tc_storage_data_file_bytes',
    help: 'Size of the LMDB data file (data.mdb)',
    registers,
    collect() {
      const s = source();
      if (!s) return;
      try {
        this.set(statSync(join(s.dir, 'data.mdb')).size);
      } catch {
        // not created yet
      }
    },
  });
}
