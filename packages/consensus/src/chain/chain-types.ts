import type { ChainStore } from '@tc/storage';
import type { ConsensusError } from '../errors.js';
import type { GenesisConfig } from '../genesis.js';
import type { Mempool } from '../mempool.js';
import type { BlockData } from '../model.js';
import type { BlockPlan } from '../stateful.js';
import type { StatelessValidator } from '../stateless-validator.js';
import type { ReorgResult } from './reorg.js';

// The chain manager's options, events and outcomes.

export interface ChainManagerOptions {
  store: ChainStore;
  genesis: GenesisConfig;
  /** Stateless validation (a ValidationPool, or InlineValidator in tools). */
  validator: StatelessValidator;
  mempool: Mempool;
  /** Clock for the timestamp rules (default Date.now). */
  now?: () => number;
  /** Most blocks a reorg may roll back (default 100). */
  maxReorgDepth?: number;
  /** Import/reorg jobs waiting behind the running one (default 64); more fail with QUEUE_FULL. */
  maxQueue?: number;
  /** Bytes of announced blocks waiting, not yet validated (default 32 MiB); more are dropped. */
  maxQueuedBytes?: number;
  /** Blocks of a branch (reorg) per pool slice (default 8); a reorg keeps at most two slices in the pool. */
  statelessBatch?: number;
  /** Blocks of an import (sync) in the pool at once, ahead of the stateful checks (default 64). */
  importWindow?: number;
}

/**
 * Called once a block passed every rule (stateless and stateful) and before its commit, so
 * gossip relays it without waiting for our fsync; the block is valid whatever the commit does.
 */
export type OnValid = (hash: Uint8Array, height: number) => void;

export type BlockSource = 'local' | 'peer' | 'sync' | 'reorg';

export interface BlockConnectedEvent {
  readonly height: number;
  readonly hash: Uint8Array;
  readonly block: BlockData;
  readonly plan: BlockPlan;
  readonly source: BlockSource;
  readonly fromPeer: string | undefined;
}

export interface ReorgEvent extends ReorgResult {
  readonly fromPeer: string;
}

export interface ChainManagerEvents {
  'block:connected': [BlockConnectedEvent];
  reorg: [ReorgEvent];
}

/** What became of one announced (or locally produced) block. */
export type AcceptOutcome =
  | { readonly status: 'connected'; readonly height: number; readonly hash: Uint8Array }
  | { readonly status: 'duplicate'; readonly height: number; readonly hash: Uint8Array }
  /** Its parent is a main-chain block below the tip: a competing branch; fork choice decides. */
  | { readonly status: 'fork'; readonly height: number; readonly hash: Uint8Array }
  /** Its parent is unknown: we are behind or it is on a branch we lack; sync/fork check. */
  | { readonly status: 'unknown-parent'; readonly height: number; readonly hash: Uint8Array }
  | { readonly status: 'invalid'; readonly error: ConsensusError }
  /** Not judged (queue full, pool or storage failure): not the sender's fault. */
  | { readonly status: 'dropped'; readonly error: Error };
