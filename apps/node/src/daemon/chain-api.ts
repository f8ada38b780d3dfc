import type {
  AddNodeCommand,
  BalanceInfo,
  BanEntry,
  BlockArrivalView,
  BlockchainInfo,
  BlockRef,
  BlockView,
  EvidenceView,
  MempoolInfo,
  NetworkInfo,
  NodeApi,
  PeerInfo,
  SetBanCommand,
  TransactionView,
  UnspentOutput,
} from '../rpc/api.js';
import type { ChainApiContext } from './chain-api-context.js';
import { ChainQueries } from './chain-queries.js';
import { MempoolCalls } from './mempool-calls.js';
import { PeerAdmin } from './peer-admin.js';

export type { ChainApiContext } from './chain-api-context.js';

/**
 * Every NodeApi method (but `stop`, which the daemon adds) over ConsensusNode, its store and
 * registry, one concern per part: chain queries, mempool calls, peer administration. Delegates
 * method by method, so a method added to NodeApi fails to compile here until a part serves it.
 */
export class ChainApi implements Omit<NodeApi, 'stop'> {
  private readonly chain: ChainQueries;
  private readonly mempool: MempoolCalls;
  private readonly peers: PeerAdmin;

  constructor(ctx: ChainApiContext) {
    this.chain = new ChainQueries(ctx);
    this.mempool = new MempoolCalls(ctx);
    this.peers = new PeerAdmin(ctx);
  }

  getBlockchainInfo(): Promise<BlockchainInfo> {
    return this.chain.getBlockchainInfo();
  }

  getEvidence(limit?: number): Promise<readonly EvidenceView[]> {
    return this.chain.getEvidence(limit);
  }

  getBlockArrivals(limit?: number): Promise<readonly BlockArrivalView[]> {
    return this.chain.getBlockArrivals(limit);
  }

  getBlockHash(height: number): Promise<string> {
    return this.chain.getBlockHash(height);
  }

  getBlock(ref: BlockRef, verbosity: 0 | 1 | 2): Promise<string | BlockView> {
    return this.chain.getBlock(ref, verbosity);
  }

  getTransaction(txid: string): Promise<TransactionView> {
    return this.chain.getTransaction(txid);
  }

  getBalance(address: string): Promise<BalanceInfo> {
    return this.chain.getBalance(address);
  }

  listUnspent(address: string, limit?: number): Promise<readonly UnspentOutput[]> {
    return this.chain.listUnspent(address, limit);
  }

  getMempoolInfo(): Promise<MempoolInfo> {
    return this.mempool.getMempoolInfo();
  }

  getRawMempool(): Promise<readonly string[]> {
    return this.mempool.getRawMempool();
  }

  sendRawTransaction(hex: string): Promise<string> {
    return this.mempool.sendRawTransaction(hex);
  }

  getPeerInfo(): Promise<readonly PeerInfo[]> {
    return this.peers.getPeerInfo();
  }

  addNode(address: string, command: AddNodeCommand): Promise<void> {
    return this.peers.addNode(address, command);
  }

  disconnectNode(target: string): Promise<void> {
    return this.peers.disconnectNode(target);
  }

  setBan(target: string, command: SetBanCommand, banSeconds?: number): Promise<void> {
    return this.peers.setBan(target, command, banSeconds);
  }

  listBanned(): Promise<readonly BanEntry[]> {
    return this.peers.listBanned();
  }

  getNetworkInfo(): Promise<NetworkInfo> {
    return this.peers.getNetworkInfo();
  }
}
