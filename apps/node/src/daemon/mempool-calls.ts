import {
  type ConsensusNode,
  decodeTransactionData,
  isConsensusError,
  RETRYABLE_MEMPOOL_CODES,
  toHex,
  txid as txidOf,
  ValidationPoolError,
} from '@tc/consensus';
import type { MempoolInfo } from '../rpc/api.js';
import { RPC_ERRORS, RpcError } from '../rpc/errors.js';
import { type ChainApiContext, liveNode } from './chain-api-context.js';

/** The mempool calls of NodeApi: its state, and submitting a transaction. */
export class MempoolCalls {
  constructor(private readonly ctx: ChainApiContext) {}

  private get node(): ConsensusNode {
    return liveNode(this.ctx);
  }

  async getMempoolInfo(): Promise<MempoolInfo> {
    const { mempool } = this.node;
    return { size: mempool.count, bytes: mempool.bytes, maxTxs: mempool.maxCount };
  }

  async getRawMempool(): Promise<readonly string[]> {
    const { mempool } = this.node;
    return mempool.pending(mempool.count).map((e) => toHex(e.txid));
  }

  async sendRawTransaction(hex: string): Promise<string> {
    const node = this.node;
    const bytes = new Uint8Array(Buffer.from(hex, 'hex'));
    let id: Uint8Array;
    try {
      id = txidOf(decodeTransactionData(bytes));
    } catch (error) {
      const code = isConsensusError(error) ? error.code : 'MALFORMED_TX';
      throw new RpcError(RPC_ERRORS.TX_REJECTED, `${code}: ${(error as Error).message}`, { code });
    }
    if (node.store.getTxLocation(id)) {
      throw new RpcError(RPC_ERRORS.TX_ALREADY_KNOWN, `transaction ${toHex(id)} is already in the chain`);
    }
    let results: Awaited<ReturnType<ConsensusNode['submitTransactions']>>;
    try {
      results = await node.submitTransactions([bytes]);
    } catch (error) {
      if (error instanceof ValidationPoolError) {
        throw new RpcError(
          RPC_ERRORS.OVERLOADED,
          `validation pool unavailable (${error.code}); retry later`,
          {
            code: error.code,
            retryable: true,
          },
        );
      }
      throw error;
    }
    const r = results[0];
    if (!r) throw new Error('mempool returned no result');
    if (r.ok) return toHex(r.txid);
    const code = r.error.code;
    const message = r.error.message.startsWith(code) ? r.error.message : `${code}: ${r.error.message}`;
    if (code === 'ALREADY_IN_MEMPOOL') throw new RpcError(RPC_ERRORS.TX_ALREADY_KNOWN, message, { code });
    // Not accepted, and nothing kept: the client must submit again later.
    if (RETRYABLE_MEMPOOL_CODES.has(code)) {
      throw new RpcError(RPC_ERRORS.OVERLOADED, `${message}; retry later`, { code, retryable: true });
    }
    throw new RpcError(RPC_ERRORS.TX_REJECTED, message, { code });
  }
}
