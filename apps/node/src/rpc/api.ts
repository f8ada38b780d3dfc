/**
 * What the JSON-RPC server serves. The daemon implements it over @tc/consensus, @tc/registry
 * and @tc/storage; tests use a fake. Methods throw RpcError for expected failures (not found,
 * rejected, ...). Hashes, txids, addresses and public keys are lowercase hex; amounts are
 * decimal strings (u64 values exceed 2^53); times are ms since the Unix epoch.
 */

export type SyncState = 'synced' | 'syncing' | 'stalled' | 'starting';

export interface BlockchainInfo {
  readonly network: string;
  /** Height of the best block (genesis = 0). */
  readonly height: number;
  readonly bestBlockHash: string;
  readonly bestBlockTimeMs: number;
  readonly genesisHash: string;
  readonly sync: SyncInfo;
  /** The finalized block (consensus README 15): never reverted. Genesis until one is final. */
  readonly finalizedHeight: number;
  readonly finalizedHash: string;
}

/** Equivocation evidence the node verified and stored (consensus README 15.5). */
export interface EvidenceView {
  /** `votes`: two conflicting votes; `blocks`: two blocks of one producer, height and attempt. */
  readonly kind: 'votes' | 'blocks';
  readonly validatorIndex: number;
  /** The accused validator's public key. */
  readonly validator: string;
  /** Target height of the first vote, or the blocks' height. */
  readonly height: number;
  readonly key: string;
}

export interface SyncInfo {
  readonly state: SyncState;
  /** Best height announced by peers (≥ height while syncing). */
  readonly targetHeight: number;
  /** height / targetHeight, 1 when synced. */
  readonly progress: number;
}

/** Block reference: a height (number) or a block hash (64 hex characters). */
export type BlockRef = { readonly height: number } | { readonly hash: string };

export interface TxInputView {
  readonly prevTxid: string;
  readonly outputIndex: number;
  readonly publicKey?: string;
}

export interface TxOutputView {
  readonly recipient: string;
  readonly value: string;
}

export interface TransactionView {
  readonly txid: string;
  readonly size: number;
  readonly inputs: readonly TxInputView[];
  readonly outputs: readonly TxOutputView[];
  /** Null while in the mempool. */
  readonly blockHash: string | null;
  readonly height: number | null;
  readonly confirmations: number;
  /** Raw bytes, hex. */
  readonly hex?: string;
}

export interface BlockView {
  readonly hash: string;
  readonly height: number;
  readonly previousHash: string;
  readonly timestampMs: number;
  readonly producer: string;
  readonly size: number;
  readonly confirmations: number;
  /** At or below the finalized block: it is never reverted (consensus README 15). */
  readonly finalized: boolean;
  readonly txids: readonly string[];
  /** Present at verbosity 2. */
  readonly transactions?: readonly TransactionView[];
}

export interface PeerInfo {
  /** Peer id: the registry's node id, hex SHA-256 of the peer's public key (= its address). */
  readonly id: string;
  /** HOST:PORT of the connection. */
  readonly address: string;
  readonly direction: 'inbound' | 'outbound';
  readonly agent: string;
  /** The peer's tip height as last announced. */
  readonly height: number;
  /** Last ping round-trip time, null before the first pong. */
  readonly rttMs: number | null;
  readonly bytesSent: number;
  readonly bytesReceived: number;
  readonly connectedAtMs: number;
  readonly score: number;
}

export interface MempoolInfo {
  readonly size: number;
  readonly bytes: number;
  readonly maxTxs: number;
}

export interface BalanceInfo {
  readonly address: string;
  /** Sum of unspent outputs, decimal. */
  readonly balance: string;
  readonly utxos: number;
  /** Height the balance was read at. */
  readonly height: number;
}

/** A confirmed unspent output of an address (`listunspent`). */
export interface UnspentOutput {
  readonly txid: string;
  readonly vout: number;
  /** Decimal. */
  readonly value: string;
  /** Height of the block that created it. */
  readonly height: number;
}

/** When a block connected at this node (validated and committed), and how it came. */
export interface BlockArrivalView {
  readonly hash: string;
  readonly height: number;
  /** The block's own timestamp (its slot). */
  readonly blockTimeMs: number;
  readonly connectedAtMs: number;
  readonly source: 'local' | 'peer' | 'sync' | 'reorg';
  /** The peer it came from (absent for our own blocks). */
  readonly fromPeer?: string;
}

export interface BanEntry {
  /** Banned IP address or peer id. */
  readonly target: string;
  readonly untilMs: number;
  readonly reason: string;
}

export interface NetworkInfo {
  readonly version: string;
  readonly agent: string;
  readonly protocolVersion: number;
  readonly network: string;
  /** This node's id (public key, hex). */
  readonly nodeId: string;
  readonly listen: { readonly host: string; readonly port: number };
  readonly connections: { readonly inbound: number; readonly outbound: number };
}

export type AddNodeCommand = 'add' | 'remove' | 'onetry';
export type SetBanCommand = 'add' | 'remove';

export interface NodeApi {
  getBlockchainInfo(): Promise<BlockchainInfo>;
  /** Stored equivocation evidence, at most `limit` (default 100). */
  getEvidence(limit?: number): Promise<readonly EvidenceView[]>;
  /** The last `limit` (default all kept, 512) blocks that connected here, oldest first. */
  getBlockArrivals(limit?: number): Promise<readonly BlockArrivalView[]>;
  /** Hash at a height of the best chain; RpcError INVALID_PARAMETER (-8) above the tip. */
  getBlockHash(height: number): Promise<string>;
  /** Verbosity 0: raw block hex; 1: BlockView with txids; 2: with transactions. NOT_FOUND (-5). */
  getBlock(ref: BlockRef, verbosity: 0 | 1 | 2): Promise<string | BlockView>;
  /** From the mempool or the chain. NOT_FOUND (-5). */
  getTransaction(txid: string): Promise<TransactionView>;
  getPeerInfo(): Promise<readonly PeerInfo[]>;
  getMempoolInfo(): Promise<MempoolInfo>;
  getRawMempool(): Promise<readonly string[]>;
  /** Validates and relays; returns the txid. TX_REJECTED (-25) / TX_ALREADY_KNOWN (-27). */
  sendRawTransaction(hex: string): Promise<string>;
  /** From the UTXO set at the tip. */
  getBalance(address: string): Promise<BalanceInfo>;
  /**
   * Confirmed unspent outputs of an address that no pending (mempool) transaction spends, at
   * most `limit` (default 1000), largest first.
   */
  listUnspent(address: string, limit?: number): Promise<readonly UnspentOutput[]>;
  /** NODE_ALREADY_ADDED (-23) / NODE_NOT_ADDED (-24). */
  addNode(address: string, command: AddNodeCommand): Promise<void>;
  /** `target` is a peer id or HOST:PORT. NOT_CONNECTED (-9). */
  disconnectNode(target: string): Promise<void>;
  /** `target` is an IP address or a peer id; `banSeconds` defaults to the configured ban duration. */
  setBan(target: string, command: SetBanCommand, banSeconds?: number): Promise<void>;
  listBanned(): Promise<readonly BanEntry[]>;
  getNetworkInfo(): Promise<NetworkInfo>;
  /** Starts a shutdown without waiting for it (the reply must still be sent). */
  stop(): Promise<void>;
}
