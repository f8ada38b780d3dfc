import {
  blockSize,
  type ConsensusNode,
  encodeTransactionData,
  fromPbBlock,
  fromPbTransaction,
  type TransactionData,
  toHex,
  txid as txidOf,
  txSize,
} from '@tc/consensus';
import type {
  BalanceInfo,
  BlockArrivalView,
  BlockchainInfo,
  BlockRef,
  BlockView,
  EvidenceView,
  TransactionView,
  UnspentOutput,
} from '../rpc/api.js';
import { RPC_ERRORS, RpcError } from '../rpc/errors.js';
import { type ChainApiContext, liveNode } from './chain-api-context.js';
import { balanceOf, MAX_ADDRESS_UTXOS, utxosOf } from './utxo-scan.js';

/** Largest number of transactions shown at getblock verbosity 2 for one block. */
const MAX_TXS_SHOWN = 10_000;
const DEFAULT_UNSPENT_LIMIT = 1000;
const u8 = (hex: string) => new Uint8Array(Buffer.from(hex, 'hex'));

function txView(
  tx: TransactionData,
  id: string,
  where: { blockHash: string | null; height: number | null; tipHeight: number },
  withHex: boolean,
): TransactionView {
  return {
    txid: id,
    size: txSize(tx),
    inputs: tx.inputs.map((i) => ({
      prevTxid: toHex(i.prevTxid),
      outputIndex: i.vout,
      publicKey: toHex(i.publicKey),
    })),
    outputs: tx.outputs.map((o) => ({ recipient: toHex(o.recipient), value: o.value.toString() })),
    blockHash: where.blockHash,
    height: where.height,
    confirmations: where.height === null ? 0 : where.tipHeight - where.height + 1,
    ...(withHex ? { hex: toHex(encodeTransactionData(tx)) } : {}),
  };
}

/** The chain queries of NodeApi: info, blocks, transactions, balances, evidence. */
export class ChainQueries {
  constructor(private readonly ctx: ChainApiContext) {}

  private get node(): ConsensusNode {
    return liveNode(this.ctx);
  }

  async getBlockchainInfo(): Promise<BlockchainInfo> {
    const s = this.node.status();
    return {
      network: this.ctx.genesis.networkId,
      height: s.height,
      bestBlockHash: s.tipHash,
      bestBlockTimeMs: s.tipTimestampMs,
      genesisHash: this.ctx.genesisHash,
      sync: this.ctx.sync(),
      finalizedHeight: s.finalized.height,
      finalizedHash: s.finalized.hash,
    };
  }

  async getEvidence(limit = 100): Promise<readonly EvidenceView[]> {
    return this.node.finality.evidence.list(limit);
  }

  async getBlockArrivals(limit?: number): Promise<readonly BlockArrivalView[]> {
    return this.node.arrivals(limit);
  }

  async getBlockHash(height: number): Promise<string> {
    const { store, chain } = this.node;
    const hash = store.getBlockHash(height);
    if (!hash)
      throw new RpcError(
        RPC_ERRORS.INVALID_PARAMETER,
        `height ${height} is above the tip (${chain.tip().height})`,
      );
    return toHex(hash);
  }

  async getBlock(ref: BlockRef, verbosity: 0 | 1 | 2): Promise<string | BlockView> {
    const { store, chain } = this.node;
    let hash: Uint8Array | undefined;
    let height: number | undefined;
    if ('height' in ref) {
      height = ref.height;
      hash = store.getBlockHash(ref.height);
    } else {
      hash = u8(ref.hash);
      height = store.getBlockHeight(hash);
    }
    const bytes = hash && height !== undefined ? store.getBlockBytes(hash) : undefined;
    if (!hash || height === undefined || !bytes) throw new RpcError(RPC_ERRORS.NOT_FOUND, 'block not found');
    if (verbosity === 0) return toHex(bytes);
    const pb = store.getBlock(hash);
    if (!pb) throw new RpcError(RPC_ERRORS.NOT_FOUND, 'block not found');
    const block = fromPbBlock(pb);
    const tipHeight = chain.tip().height;
    const hashHex = toHex(hash);
    const ids = block.txs.map((tx) => toHex(txidOf(tx)));
    return {
      hash: hashHex,
      height,
      previousHash: toHex(block.header.prevHash),
      timestampMs: block.header.timestampMs,
      producer: toHex(block.header.producerPublicKey),
      size: blockSize(block),
      confirmations: tipHeight - height + 1,
      finalized: height <= this.node.finality.finalized.height,
      txids: ids,
      ...(verbosity === 2
        ? {
            transactions: block.txs
              .slice(0, MAX_TXS_SHOWN)
              .map((tx, i) => txView(tx, ids[i] as string, { blockHash: hashHex, height, tipHeight }, false)),
          }
        : {}),
    };
  }

  async getTransaction(txid: string): Promise<TransactionView> {
    const { store, mempool, chain } = this.node;
    const id = u8(txid);
    const tipHeight = chain.tip().height;
    const pending = mempool.get(id);
    if (pending) return txView(pending.tx, txid, { blockHash: null, height: null, tipHeight }, true);
    const found = store.getTransaction(id);
    if (!found) throw new RpcError(RPC_ERRORS.NOT_FOUND, `transaction ${txid} not found`);
    return txView(
      fromPbTransaction(found.tx),
      txid,
      { blockHash: toHex(found.location.blockHash), height: found.location.height, tipHeight },
      true,
    );
  }

  async getBalance(address: string): Promise<BalanceInfo> {
    const { store, chain } = this.node;
    const height = chain.tip().height;
    const recipient = u8(address);
    // Two reads of the index; a block between them could make the count and the sum disagree by
    // that block, so take the count from the same read when it is complete.
    const list = utxosOf(store, recipient);
    const balance =
      list.length < MAX_ADDRESS_UTXOS ? list.reduce((s, u) => s + u.value, 0n) : balanceOf(store, recipient);
    return { address, balance: balance.toString(), utxos: list.length, height };
  }

  async listUnspent(address: string, limit = DEFAULT_UNSPENT_LIMIT): Promise<readonly UnspentOutput[]> {
    const { store, mempool } = this.node;
    const found = utxosOf(store, u8(address)).filter(
      (u) => !mempool.spenderOf({ txid: u.txid, vout: u.vout }),
    );
    found.sort((a, b) => (b.value > a.value ? 1 : b.value < a.value ? -1 : 0));
    return found.slice(0, limit).map((u) => ({
      txid: toHex(u.txid),
      vout: u.vout,
      value: u.value.toString(),
      height: u.height,
    }));
  }
}
