import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readGenesisFile } from '../chain/genesis.js';
import { toHex } from '../keys.js';
import { componentLogger } from '../logging.js';
import type { BanEntry, BlockchainInfo, BlockView, NodeApi } from '../rpc/api.js';
import { RPC_ERRORS, RpcError } from '../rpc/errors.js';
import type { NodeCore, NodeCoreContext } from './core.js';

const NOT_WIRED =
  'not yet wired: this build runs the standalone core (no p2p, no chain store, no validation)';

/**
 * The core used until @tc/registry, @tc/storage and @tc/consensus are wired in: a chain that
 * is only its genesis, no peers, an empty mempool, and an in-memory ban list. It lets the
 * daemon's own parts (config, RPC, metrics, health, logs, shutdown, devnet supervision) run
 * and be tested end to end. The genesis hash here is SHA-256 of the genesis file's bytes, a
 * stand-in for the consensus header hash (so every devnet node reports the same tip).
 */
export async function createStandaloneCore(context: NodeCoreContext): Promise<NodeCore> {
  const { config } = context;
  const log = componentLogger(context.logger, 'core');
  let genesisHash = '00'.repeat(32);
  let genesisTime = 0;
  let networkId = config.network;
  if (existsSync(config.genesisFile)) {
    genesisHash = createHash('sha256').update(readFileSync(config.genesisFile)).digest('hex');
    const g = readGenesisFile(config.genesisFile);
    genesisTime = g.timestampMs;
    networkId = g.networkId as typeof networkId;
  }
  const added = new Set<string>(config.p2p.peers);
  const bans = new Map<string, BanEntry>();
  const genesisBlock: BlockView = {
    hash: genesisHash,
    height: 0,
    previousHash: '00'.repeat(32),
    timestampMs: genesisTime,
    producer: '00'.repeat(32),
    size: 0,
    confirmations: 1,
    txids: [],
  };
  const info = (): BlockchainInfo => ({
    network: networkId,
    height: 0,
    bestBlockHash: genesisHash,
    bestBlockTimeMs: genesisTime,
    genesisHash,
    sync: { state: 'synced', targetHeight: 0, progress: 1 },
  });

  const api: Omit<NodeApi, 'stop'> = {
    getBlockchainInfo: async () => info(),
    getBlockHash: async (height) => {
      if (height !== 0)
        throw new RpcError(RPC_ERRORS.INVALID_PARAMETER, `height ${height} is above the tip (0)`);
      return genesisHash;
    },
    getBlock: async (ref) => {
      if ('height' in ref ? ref.height !== 0 : ref.hash !== genesisHash) {
        throw new RpcError(RPC_ERRORS.NOT_FOUND, 'block not found');
      }
      return genesisBlock;
    },
    getTransaction: async (txid) => {
      throw new RpcError(RPC_ERRORS.NOT_FOUND, `transaction ${txid} not found`);
    },
    getPeerInfo: async () => [],
    getMempoolInfo: async () => ({ size: 0, bytes: 0, maxTxs: config.consensus.mempoolMaxTxs }),
    getRawMempool: async () => [],
    sendRawTransaction: async () => {
      throw new RpcError(RPC_ERRORS.TX_REJECTED, `transaction relay is ${NOT_WIRED}`);
    },
    getBalance: async (address) => ({ address, balance: '0', utxos: 0, height: 0 }),
    addNode: async (address, command) => {
      if (command === 'remove') {
        if (!added.delete(address)) throw new RpcError(RPC_ERRORS.NODE_NOT_ADDED, `${address} was not added`);
      } else if (command === 'add') {
        if (added.has(address))
          throw new RpcError(RPC_ERRORS.NODE_ALREADY_ADDED, `${address} is already added`);
        added.add(address);
      }
    },
    disconnectNode: async (target) => {
      throw new RpcError(RPC_ERRORS.NOT_CONNECTED, `not connected to ${target}`);
    },
    setBan: async (target, command, banSeconds) => {
      if (command === 'remove') {
        if (!bans.delete(target)) throw new RpcError(RPC_ERRORS.NOT_FOUND, `${target} is not banned`);
        return;
      }
      if (bans.size >= 10_000 && !bans.has(target))
        throw new RpcError(RPC_ERRORS.MISC_ERROR, 'ban list is full');
      const ms = banSeconds === undefined ? config.registry.banDurationMs : banSeconds * 1000;
      bans.set(target, { target, untilMs: Date.now() + ms, reason: 'manual' });
    },
    listBanned: async () => {
      const now = Date.now();
      for (const [k, b] of bans) if (b.untilMs <= now) bans.delete(k);
      return [...bans.values()];
    },
    getNetworkInfo: async () => ({
      version: '0.1.0',
      agent: 'tc-node/0.1.0 (standalone)',
      protocolVersion: 1,
      network: networkId,
      nodeId: toHex(context.nodeKey.publicKey),
      listen: { host: config.p2p.host, port: config.p2p.port },
      connections: { inbound: 0, outbound: 0 },
    }),
  };

  return {
    api,
    health: {
      health: () => ({
        ready: true,
        height: 0,
        sync: info().sync,
        peers: 0,
        reasons: ['standalone core: registry, storage and consensus not wired'],
      }),
    },
    start: async () => {
      log.warn({ genesisHash }, `chain, p2p and validation are ${NOT_WIRED}`);
    },
  };
}
