import type { PeerConnectionRegistry } from '@tc/registry';
import type { ChainStore } from '@tc/storage';
import { type KindInputs, MAX_TXIDS_PER_MESSAGE, u64, u64ToBigInt } from '@tc/wire';
import type { ChainManager } from '../chain/chain-manager.js';
import type { Mempool } from '../mempool.js';
import { encodeTransactionData, toPbTransaction } from '../model.js';
import { blockRangeHandler } from '../sync/serve.js';

export interface HandlerLimits {
  /** Most blocks one getBlockRange answer carries (default 512). */
  maxRangeBlocks: number;
  /** A chunk is closed once it holds this many block bytes (default 1 MiB; one block always fits). */
  rangeChunkBytes: number;
  /** Most transactions in a pendingTxs answer (default 1 000). */
  maxPendingTxs: number;
  /** A pendingTxs or txs answer stops at this many transaction bytes (default 3 MiB, under the 4 MiB kind limit). */
  pendingTxsBytes: number;
}

export const DEFAULT_HANDLER_LIMITS: Readonly<HandlerLimits> = Object.freeze({
  maxRangeBlocks: 512,
  rangeChunkBytes: 1024 * 1024,
  maxPendingTxs: 1_000,
  pendingTxsBytes: 3 * 1024 * 1024,
});

const EMPTY = new Uint8Array(0);

/**
 * Registers the chain's request handlers: getChainTip, getBlockHash, getBlockRange (a stream
 * of chunks bounded by bytes, then the registry's end marker), getPendingTxs and getTxs.
 */
export function registerChainHandlers(
  registry: Pick<PeerConnectionRegistry, 'handle'>,
  chain: ChainManager,
  mempool: Mempool,
  limits: HandlerLimits = DEFAULT_HANDLER_LIMITS,
  hooks: { servedTxs?(peerId: string, txids: readonly Uint8Array[]): void } = {},
): void {
  const store: ChainStore = chain.store;
  registry.handle('getChainTip', () => {
    const tip = chain.tip();
    const justified = chain.justified();
    return {
      height: u64(tip.height),
      hash: tip.hash,
      justifiedEpoch: u64(justified.epoch),
      justifiedHash: justified.hash,
    };
  });
  registry.handle('getBlockHash', (body) => {
    const height = u64ToBigInt(body.height);
    const hash = height <= BigInt(Number.MAX_SAFE_INTEGER) ? store.getBlockHash(Number(height)) : undefined;
    return { height: body.height, hash: hash ?? EMPTY };
  });
  registry.handle(
    'getBlockRange',
    blockRangeHandler(store, {
      maxBlocksPerRequest: limits.maxRangeBlocks,
      maxChunkBytes: limits.rangeChunkBytes,
    }),
  );
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
  // The bodies of announced transactions still pending; ids no longer pending are left out.
  registry.handle('getTxs', (body, ctx) => {
    const txs: KindInputs['txs']['txs'] = [];
    const served: Uint8Array[] = [];
    let bytes = 0;
    for (const id of body.txids.slice(0, MAX_TXIDS_PER_MESSAGE)) {
      const entry = mempool.get(id);
      if (!entry) continue;
      // The bytes the mempool admitted, as they are: nothing is encoded per answer.
      const encoded = entry.bytes ?? encodeTransactionData(entry.tx);
      if (bytes + encoded.length > limits.pendingTxsBytes) break;
      bytes += encoded.length;
      txs.push(encoded);
      served.push(entry.txid);
    }
    hooks.servedTxs?.(ctx.peerId, served);
    return { txs };
  });
}
