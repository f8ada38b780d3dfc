import type { Outpoint, TxOutputData } from './model.js';

/**
 * What consensus needs from the chain store. @tc/storage is adapted to this later; tests and
 * the bench use `MemoryChainState`. Methods may be sync or async.
 */
export type MaybePromise<T> = T | Promise<T>;

/** A block on the chain, as much as validation needs of a parent. */
export interface HeaderRef {
  readonly height: number;
  readonly hash: Uint8Array;
  readonly timestampMs: number;
}

/** An unspent output as the UTXO set stores it. */
export interface UtxoEntry extends TxOutputData {
  /** Height of the block that created it (informational; no maturity rule in v1). */
  readonly height?: number;
}

/** Reads UTXOs. A fork-aware overlay (ChainManager) implements this for side branches. */
export interface UtxoSource {
  /** One entry per outpoint, in order; undefined when missing or spent. */
  getUtxos(outpoints: readonly Outpoint[]): MaybePromise<readonly (UtxoEntry | undefined)[]>;
}

/** The main chain as seen by validation, mempool and production. */
export interface ChainStateView extends UtxoSource {
  getTip(): MaybePromise<HeaderRef>;
  /** The main-chain block at a height, or undefined above the tip. */
  getHeaderAtHeight(height: number): MaybePromise<HeaderRef | undefined>;
}
