import type { KvEngine, KvEngineOpenOptions } from './kv-engine.js';
import { LmdbEngine } from './lmdb-engine.js';

/** Engines a store can run on. To add one: implement KvEngine, then add it here. */
export const ENGINES = {
  lmdb: (options: KvEngineOpenOptions): KvEngine => new LmdbEngine(options),
} as const satisfies Record<string, (options: KvEngineOpenOptions) => KvEngine>;

export type EngineName = keyof typeof ENGINES;
