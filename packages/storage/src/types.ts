/** A reference to one output of one transaction. `txid` is 32 bytes, `vout` a u32. */
export interface Outpoint {
  readonly txid: Uint8Array;
  readonly vout: number;
}

/** A transaction output as the UTXO set stores it. `value` is exact (u64). */
export interface TxOutput {
  readonly value: bigint;
  readonly recipient: Uint8Array;
}

/** An unspent output, with the height of the block that created it. */
export interface Utxo extends TxOutput {
  readonly height: number;
}

/**
 * What one transaction of a block does to the UTXO set, as computed by the caller
 * (consensus owns txids). Transactions are applied in order: a transaction may spend an
 * output created by an earlier transaction of the same block.
 */
export interface TxDelta {
  /** 32-byte transaction id. */
  readonly txid: Uint8Array;
  /** Outpoints this transaction consumes; each must be unspent when it is applied. */
  readonly spends: readonly Outpoint[];
  /** Outputs this transaction creates; output `i` becomes the UTXO `(txid, i)`. */
  readonly outputs: readonly TxOutput[];
}

/** Everything `commitBlock` needs; storage computes no hash itself. */
export interface CommitBlockInput {
  /** Must be `tip.height + 1`, or 0 for the first block of an empty store. */
  readonly height: number;
  /** 32-byte block hash; at height 0 it must equal the store's genesis hash. */
  readonly hash: Uint8Array;
  /** 32-byte hash of the parent; must equal the tip hash (not checked at height 0). */
  readonly prevHash: Uint8Array;
  /** The block as `encodeBlock` from `@tc/wire` produced it. Stored as is. */
  readonly blockBytes: Uint8Array;
  /**
   * `pb.BlockHeader.encode(block.header)`. When omitted, storage decodes `blockBytes` to derive
   * it (and then also checks that the header's height and prevHash match and that `txs` has one
   * entry per transaction).
   */
  readonly headerBytes?: Uint8Array;
  /** One entry per transaction of the block, in block order. */
  readonly txs: readonly TxDelta[];
}

export interface ChainTip {
  readonly height: number;
  readonly hash: Uint8Array;
}

export interface StoredHeader {
  readonly height: number;
  readonly hash: Uint8Array;
  readonly headerBytes: Uint8Array;
}

export interface StoredBlock {
  readonly height: number;
  readonly hash: Uint8Array;
  readonly blockBytes: Uint8Array;
}

/** Where a transaction sits in the canonical chain. */
export interface TxLocation {
  readonly blockHash: Uint8Array;
  readonly height: number;
  /** Position of the transaction in its block. */
  readonly index: number;
}

/** A block that `rollbackTo` removed from the canonical chain. */
export interface RolledBackBlock {
  readonly height: number;
  readonly hash: Uint8Array;
}

/** A ban, keyed by `'node:<hex node id>'` or `'ip:<address>'`. */
export interface BanRecord {
  key: string;
  /** Milliseconds since the Unix epoch; the ban is dropped once `untilMs <= now`. */
  untilMs: number;
  reason: string;
}

/** One entry of the peer address book, keyed by `address` (`host:port`). */
export interface PeerRecord {
  address: string;
  /** Hex node id, when known. */
  nodeId?: string;
  lastSeenMs: number;
  failures: number;
}

/** Number of entries per table, for diagnostics and tests. */
export interface StoreStats {
  readonly blocks: number;
  readonly headers: number;
  readonly heights: number;
  readonly undo: number;
  readonly txIndex: number;
  readonly utxos: number;
  /** Address index entries (always equal to `utxos`). */
  readonly addrIndex: number;
  readonly peers: number;
  readonly bans: number;
}
