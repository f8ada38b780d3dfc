import { isIP } from 'node:net';
import {
  blockSize,
  type ConsensusNode,
  decodeTransactionData,
  encodeTransactionData,
  fromPbBlock,
  fromPbTransaction,
  type GenesisConfig,
  isConsensusError,
  RETRYABLE_MEMPOOL_CODES,
  type TransactionData,
  toHex,
  txid as txidOf,
  txSize,
  ValidationPoolError,
} from '@tc/consensus';
import { ipBanKey } from '@tc/registry';
import type { NodeConfig } from '../config/schema.js';
import type { Logger } from '../logging.js';
import type {
  AddNodeCommand,
  BalanceInfo,
  BanEntry,
  BlockchainInfo,
  BlockRef,
  BlockView,
  EvidenceView,
  MempoolInfo,
  NetworkInfo,
  NodeApi,
  PeerInfo,
  SetBanCommand,
  SyncInfo,
  TransactionView,
  UnspentOutput,
} from '../rpc/api.js';
import { RPC_ERRORS, RpcError } from '../rpc/errors.js';
import { NODE_AGENT, NODE_VERSION } from '../version.js';
import { balanceOf, MAX_ADDRESS_UTXOS, utxosOf } from './utxo-scan.js';

export interface ChainApiContext {
  readonly config: NodeConfig;
  readonly genesis: GenesisConfig;
  readonly genesisHash: string;
  /** The running node; undefined while starting (calls answer IN_WARMUP) and after stop. */
  readonly node: () => ConsensusNode | undefined;
  readonly sync: () => SyncInfo;
  readonly log: Logger;
}

/** Largest number of transactions shown at getblock verbosity 2 for one block. */
const MAX_TXS_SHOWN = 10_000;
/** Most peers `addnode add` keeps (configured ones included). */
const MAX_ADDED_NODES = 256;
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

/** Every NodeApi method (but `stop`, which the daemon adds) over ConsensusNode, its store and registry. */
export class ChainApi implements Omit<NodeApi, 'stop'> {
  constructor(private readonly ctx: ChainApiContext) {}

  private get node(): ConsensusNode {
    const n = this.ctx.node();
    if (!n) throw new RpcError(RPC_ERRORS.IN_WARMUP, 'the node is starting');
    return n;
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

  async getPeerInfo(): Promise<readonly PeerInfo[]> {
    return this.node.registry.peers().map((p) => ({
      id: p.id,
      address: p.address,
      direction: p.direction,
      agent: p.agent,
      height: Number(p.tip.height),
      rttMs: p.rttMs ?? null,
      bytesSent: p.bytesOut,
      bytesReceived: p.bytesIn,
      connectedAtMs: p.connectedAtMs,
      score: Math.round(p.score * 100) / 100,
    }));
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

  async addNode(address: string, command: AddNodeCommand): Promise<void> {
    const { registry } = this.node;
    if (command === 'remove') {
      if (!registry.removePersistentPeer(address))
        throw new RpcError(RPC_ERRORS.NODE_NOT_ADDED, `${address} was not added`);
      return;
    }
    if (command === 'onetry') {
      try {
        await this.node.connect(address);
      } catch (error) {
        throw new RpcError(
          RPC_ERRORS.MISC_ERROR,
          `could not connect to ${address}: ${(error as Error).message}`,
        );
      }
      return;
    }
    const persistent = registry.persistentPeers();
    if (persistent.includes(address))
      throw new RpcError(RPC_ERRORS.NODE_ALREADY_ADDED, `${address} is already added`);
    if (persistent.length >= MAX_ADDED_NODES)
      throw new RpcError(RPC_ERRORS.MISC_ERROR, `at most ${MAX_ADDED_NODES} added nodes`);
    // The registry dials it now and redials it whenever its session ends.
    registry.addPersistentPeer(address);
  }

  async disconnectNode(target: string): Promise<void> {
    const { registry } = this.node;
    const t = target.toLowerCase();
    const peer = registry.peers().find((p) => p.id === t || p.address.toLowerCase() === t);
    if (!peer || !registry.disconnect(peer.id))
      throw new RpcError(RPC_ERRORS.NOT_CONNECTED, `not connected to ${target}`);
  }

  async setBan(target: string, command: SetBanCommand, banSeconds?: number): Promise<void> {
    const { registry } = this.node;
    const t = target.toLowerCase();
    const isNode = /^[0-9a-f]{64}$/.test(t);
    const ip = isNode ? undefined : t.startsWith('[') && t.endsWith(']') ? t.slice(1, -1) : t;
    if (!isNode && (ip === undefined || isIP(ip) === 0)) {
      throw new RpcError(
        RPC_ERRORS.INVALID_PARAMETER,
        `${target} is neither a peer id (64 hex) nor an IP address`,
      );
    }
    if (command === 'remove') {
      const key = isNode ? `node:${t}` : ipBanKey(ip as string);
      if (!registry.bans().some((b) => b.key === key))
        throw new RpcError(RPC_ERRORS.NOT_FOUND, `${target} is not banned`);
      if (isNode) registry.unban(key);
      else registry.unbanAddress(ip as string);
      return;
    }
    const ms = banSeconds === undefined ? this.ctx.config.registry.banDurationMs : banSeconds * 1000;
    if (isNode) registry.ban(t, ms, 'manual (setban)');
    else registry.banAddress(ip as string, ms, 'manual (setban)');
  }

  async listBanned(): Promise<readonly BanEntry[]> {
    return this.node.registry.bans().map((b) => {
      const sep = b.key.indexOf(':');
      return { target: b.key.slice(sep + 1), untilMs: b.untilMs, reason: b.reason };
    });
  }

  async getNetworkInfo(): Promise<NetworkInfo> {
    const { registry } = this.node;
    const peers = registry.peers();
    const listen = registry.address() ?? { host: this.ctx.config.p2p.host, port: this.ctx.config.p2p.port };
    return {
      version: NODE_VERSION,
      agent: NODE_AGENT,
      protocolVersion: 1,
      network: this.ctx.genesis.networkId,
      nodeId: registry.nodeId,
      listen,
      connections: {
        inbound: peers.filter((p) => p.direction === 'inbound').length,
        outbound: peers.filter((p) => p.direction === 'outbound').length,
      },
    };
  }
}
