import { type BlockView, type NodeApi, RPC_ERRORS, RpcError } from '../src/internal.js';

export const HASH0 = '00'.repeat(32);
export const HASH1 = '11'.repeat(32);

/** An in-memory NodeApi: a two-block chain, one peer, a mempool, and hooks for slow calls. */
export class FakeApi implements NodeApi {
  stopped = 0;
  added: string[] = [];
  mempool: string[] = [];
  /** When set, getpeerinfo waits for it (in-flight and timeout tests). */
  gate: Promise<void> | undefined;
  /** getpeerinfo calls now waiting at the gate: a test waits for them instead of sleeping. */
  atGate = 0;
  private readonly blocks: BlockView[] = [HASH0, HASH1].map((hash, height) => ({
    hash,
    height,
    previousHash: height === 0 ? HASH0 : HASH0,
    timestampMs: 1_700_000_000_000 + height * 1000,
    producer: 'aa'.repeat(32),
    size: 100,
    confirmations: 2 - height,
    finalized: height === 0,
    txids: ['cc'.repeat(32)],
  }));

  async getBlockchainInfo() {
    return {
      network: 'devnet',
      height: 1,
      bestBlockHash: HASH1,
      bestBlockTimeMs: 1_700_000_001_000,
      genesisHash: HASH0,
      sync: { state: 'synced' as const, targetHeight: 1, progress: 1 },
      finalizedHeight: 0,
      finalizedHash: HASH0,
    };
  }
  async getEvidence() {
    return [];
  }
  async getBlockArrivals() {
    return [];
  }
  async getBlockHash(height: number) {
    const b = this.blocks[height];
    if (!b) throw new RpcError(RPC_ERRORS.INVALID_PARAMETER, `height ${height} is above the tip (1)`);
    return b.hash;
  }
  async getBlock(ref: { height: number } | { hash: string }, verbosity: 0 | 1 | 2) {
    const b = 'height' in ref ? this.blocks[ref.height] : this.blocks.find((x) => x.hash === ref.hash);
    if (!b) throw new RpcError(RPC_ERRORS.NOT_FOUND, 'block not found');
    return verbosity === 0 ? 'beef' : b;
  }
  async getTransaction(txid: string): Promise<never> {
    throw new RpcError(RPC_ERRORS.NOT_FOUND, `transaction ${txid} not found`);
  }
  async getPeerInfo() {
    if (this.gate) {
      this.atGate++;
      await this.gate.finally(() => this.atGate--);
    }
    return [
      {
        id: 'ab'.repeat(32),
        address: '127.0.0.1:17701',
        direction: 'outbound' as const,
        agent: 'tc/0.1.0',
        height: 1,
        rttMs: 1.5,
        bytesSent: 10,
        bytesReceived: 20,
        connectedAtMs: 1,
        score: 0,
      },
    ];
  }
  async getMempoolInfo() {
    return { size: this.mempool.length, bytes: 0, maxTxs: 10 };
  }
  async getRawMempool() {
    return this.mempool;
  }
  async sendRawTransaction(hex: string) {
    if (hex === 'dead') throw new RpcError(RPC_ERRORS.TX_REJECTED, 'bad signature');
    this.mempool.push('dd'.repeat(32));
    return 'dd'.repeat(32);
  }
  async getBalance(address: string) {
    // A u64 amount above 2^53 travels as a decimal string.
    return { address, balance: (2n ** 60n).toString(), utxos: 1, height: 1 };
  }
  async listUnspent(_address: string, _limit?: number) {
    return [{ txid: 'cc'.repeat(32), vout: 0, value: (2n ** 60n).toString(), height: 0 }];
  }
  async addNode(address: string) {
    if (this.added.includes(address)) throw new RpcError(RPC_ERRORS.NODE_ALREADY_ADDED, 'already added');
    this.added.push(address);
  }
  async disconnectNode(): Promise<void> {
    throw new RpcError(RPC_ERRORS.NOT_CONNECTED, 'not connected');
  }
  async setBan() {}
  async listBanned() {
    return [];
  }
  async getNetworkInfo() {
    return {
      version: '0.1.0',
      agent: 'tc/0.1.0',
      protocolVersion: 1,
      network: 'devnet',
      nodeId: 'ab'.repeat(32),
      listen: { host: '127.0.0.1', port: 17700 },
      connections: { inbound: 0, outbound: 1 },
    };
  }
  async stop() {
    this.stopped++;
  }
  async boom(): Promise<never> {
    throw new Error('secret internal detail');
  }
}
