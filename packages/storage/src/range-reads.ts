import { decodeBlock, type pb } from '@tc/wire';
import { heightKey, readHeightKey } from './bytes.js';
import { CorruptStoreError } from './errors.js';
import type { KvReader } from './kv-engine.js';
import type { StorageLimits } from './limits.js';
import { decodeHeaderEntry, decodeOutpointKey, decodeTxLocation, decodeUndo, decodeUtxo } from './records.js';
import type { Outpoint, StoredBlock, StoredHeader, StoreStats, TxLocation, Utxo } from './types.js';

export type Block = InstanceType<typeof pb.Block>;
export type Transaction = Block['txs'][number];

export function isHeight(height: number): boolean {
  return Number.isSafeInteger(height) && height >= 0;
}

/** Decodes a stored block; a failure means the store is corrupt. */
export function decodeStoredBlock(bytes: Uint8Array): Block {
  try {
    return decodeBlock(bytes);
  } catch (cause) {
    throw new CorruptStoreError('a stored block does not decode', { cause });
  }
}

/** Canonical (height, hash) pairs from `startHeight`, at most `count`, stopping at the tip. */
function canonicalRange(
  r: KvReader,
  startHeight: number,
  count: number,
  limits: StorageLimits,
): { height: number; hash: Uint8Array }[] {
  if (!isHeight(startHeight)) throw new RangeError(`startHeight ${startHeight} is not a height`);
  if (!Number.isSafeInteger(count) || count < 0 || count > limits.maxRangeCount) {
    throw new RangeError(`count ${count} must be an integer in [0, ${limits.maxRangeCount}]`);
  }
  if (count === 0) return [];
  const end = heightKey(Math.min(startHeight + count, Number.MAX_SAFE_INTEGER));
  const out: { height: number; hash: Uint8Array }[] = [];
  for (const { key, value } of r.range('heights', { start: heightKey(startHeight), end })) {
    out.push({ height: readHeightKey(key), hash: value });
  }
  return out;
}

export function readHeaders(
  r: KvReader,
  startHeight: number,
  count: number,
  limits: StorageLimits,
): StoredHeader[] {
  return canonicalRange(r, startHeight, count, limits).map(({ height, hash }) => {
    const entry = r.get('headers', hash);
    if (entry === undefined) throw new CorruptStoreError(`no header for height ${height}`);
    return { height, hash, headerBytes: decodeHeaderEntry(entry).headerBytes };
  });
}

export function readBlocks(
  r: KvReader,
  startHeight: number,
  count: number,
  limits: StorageLimits,
): StoredBlock[] {
  const out: StoredBlock[] = [];
  let bytes = 0;
  for (const { height, hash } of canonicalRange(r, startHeight, count, limits)) {
    const blockBytes = r.get('blocks', hash);
    if (blockBytes === undefined) throw new CorruptStoreError(`no block for height ${height}`);
    if (out.length > 0 && bytes + blockBytes.byteLength > limits.maxRangeBytes) break;
    bytes += blockBytes.byteLength;
    out.push({ height, hash, blockBytes });
  }
  return out;
}

export function readTransaction(
  r: KvReader,
  txid: Uint8Array,
): { location: TxLocation; tx: Transaction } | undefined {
  const value = r.get('txs', txid);
  if (value === undefined) return undefined;
  const location = decodeTxLocation(value);
  const bytes = r.get('blocks', location.blockHash);
  const tx = bytes === undefined ? undefined : decodeStoredBlock(bytes).txs[location.index];
  if (tx === undefined) throw new CorruptStoreError(`tx index points past block ${location.height}`);
  return { location, tx };
}

export function readStats(r: KvReader): StoreStats {
  return {
    blocks: r.count('blocks'),
    headers: r.count('headers'),
    heights: r.count('heights'),
    undo: r.count('undo'),
    txIndex: r.count('txs'),
    utxos: r.count('utxos'),
    addrIndex: r.count('addrs'),
    peers: r.count('peers'),
    bans: r.count('bans'),
  };
}

/** The outputs a stored block spent, in spend order, from its undo record. */
export function readBlockUndo(
  r: KvReader,
  hash: Uint8Array,
): { outpoint: Outpoint; output: Utxo }[] | undefined {
  const bytes = r.get('undo', hash);
  if (bytes === undefined) return undefined;
  try {
    return decodeUndo(bytes).flatMap((tx) =>
      tx.spent.map((s) => ({ outpoint: decodeOutpointKey(s.key), output: decodeUtxo(s.value) })),
    );
  } catch (cause) {
    throw new CorruptStoreError('an undo record does not decode', { cause });
  }
}
