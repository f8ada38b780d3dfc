import type { PeerConnectionRegistry } from '@tc/registry';
import type { ChainStore } from '@tc/storage';
import { decodeBlock, type KindInputs, u64, u64ToBigInt } from '@tc/wire';
import type { ChainManager } from '../chain/chain-manager.js';
import type { Mempool } from '../mempool.js';
import { encodeTransactionData, toPbTransaction } from '../model.js';

export interface HandlerLimits {
  /** Most blocks one getBlockRange answer carries (default 512). */
  maxRangeBlocks: number;
  /** A chunk is closed once it holds this many block bytes (default 1 MiB; one block always fits). */
  rangeChunkBytes: number;
  /** Most transactions in a pendingTxs answer (default 1 000). */
  maxPendingTxs: number;
  /** A pendingTxs answer stops at this many transaction bytes (default 3 MiB, under the 4 MiB kind limit). */
  pendingTxsBytes: number;
}

export const DEFAULT_HANDLER_LIMITS: Readonly<HandlerLimits> = Object.freeze({
  maxRangeBlocks: 512,
  rangeChunkBytes: 1024 * 1024,
  maxPendingTxs: 1_000,
  pendingTxsBytes: 3 * 1024 * 1024,
});

const EMPTY = new Uint8Array(0);
/** Blocks read from storage per range step (one snapshot each). */
const READ_STEP = 64;

/**
 * Registers the chain's request handlers: getChainTip, getBlockHash, getBlockRange (a stream
 * of chunks bounded by bytes, then the registry's end marker) and getPendingTxs.
 */
export function registerChainHandlers(
  registry: Pick<PeerConnectionRegistry, 'handle'>,
  chain: ChainManager,
  mempool: Mempool,
  limits: HandlerLimits = DEFAULT_HANDLER_LIMITS,
): void {
  const store: ChainStore = chain.store;
  registry.handle('getChainTip', () => {
    const tip = chain.tip();
    return { height: u64(tip.height), hash: tip.hash };
  });
  registry.handle('getBlockHash', (body) => {
    const height = u64ToBigInt(body.height);
    const hash = height <= BigInt(Number.MAX_SAFE_INTEGER) ? store.getBlockHash(Number(height)) : undefined;
    return { height: body.height, hash: hash ?? EMPTY };
  });
  registry.handle('getBlockRange', (body, ctx) => {
    const start = u64ToBigInt(body.startHeight);
    const count = Math.min(body.count >>> 0, limits.maxRangeBlocks);
    return rangeChunks(store, start, count, limits.rangeChunkBytes, ctx.signal);
  });
  registry.handle('getPendingTxs', (body) => {
    const max = Math.min(body.max > 0 ? body.max : limits.maxPendingTxs, limits.maxPendingTxs);
    const txs: KindInputs['pendingTxs']['txs'] = [];
    let bytes = 0;
    for (const entry of mempool.pending(max)) {
      const size = encodeTransactionData(entry.tx).length;
      if (bytes + size > limits.pendingTxsBytes) break;
      bytes += size;
      txs.push(toPbTransaction(entry.tx));
    }
    return { txs };
  });
}

function* rangeChunks(
  store: ChainStore,
  start: bigint,
  count: number,
  chunkBytes: number,
  signal: AbortSignal,
): Generator<KindInputs['blockRangeChunk']> {
  if (start > BigInt(Number.MAX_SAFE_INTEGER)) return;
  let next = Number(start);
  let left = count;
  let chunk: NonNullable<KindInputs['blockRangeChunk']['blocks']> = [];
  let bytes = 0;
  while (left > 0 && !signal.aborted) {
    const stored = store.getBlocks(next, Math.min(left, READ_STEP));
    if (stored.length === 0) break;
    for (const block of stored) {
      if (chunk.length > 0 && bytes + block.blockBytes.length > chunkBytes) {
        yield { blocks: chunk };
        chunk = [];
        bytes = 0;
      }
      chunk.push(decodeBlock(block.blockBytes));
      bytes += block.blockBytes.length;
    }
    next += stored.length;
    left -= stored.length;
  }
  if (chunk.length > 0) yield { blocks: chunk };
}
