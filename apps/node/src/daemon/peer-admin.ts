import { isIP } from 'node:net';
import type { ConsensusNode } from '@tc/consensus';
import { ipBanKey } from '@tc/registry';
import type { AddNodeCommand, BanEntry, NetworkInfo, PeerInfo, SetBanCommand } from '../rpc/api.js';
import { RPC_ERRORS, RpcError } from '../rpc/errors.js';
import { NODE_AGENT, NODE_VERSION } from '../version.js';
import { type ChainApiContext, liveNode } from './chain-api-context.js';

/** Most peers `addnode add` keeps (configured ones included). */
const MAX_ADDED_NODES = 256;

/** Peer administration in NodeApi, all through the registry: peers, persistent peers, bans, network. */
export class PeerAdmin {
  constructor(private readonly ctx: ChainApiContext) {}

  private get node(): ConsensusNode {
    return liveNode(this.ctx);
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
