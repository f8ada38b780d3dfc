import type { InboundMessage, Logger, PeerConnectionRegistry } from '@tc/registry';
import { u64ToBigInt } from '@tc/wire';
import type { ChainManager } from '../chain/chain-manager.js';
import type { ForkWatcher } from '../chain/fork-watcher.js';
import type { FinalityService } from '../finality/finality-service.js';
import type { Gossip } from './gossip.js';
import type { ConsensusNodeEvents } from './node-types.js';

/**
 * Where a node's peer traffic and fork-watcher events go: votes and evidence to finality,
 * everything else to gossip, a taller announced tip to a fork check; new and departed peers
 * to the relays and finality; sync outcomes to the node's events and log.
 */
export function routePeerEvents(o: {
  registry: PeerConnectionRegistry;
  forks: ForkWatcher;
  gossip: Gossip;
  finality: FinalityService;
  chain: ChainManager;
  log: Logger;
  onSyncStart: (...e: ConsensusNodeEvents['sync:start']) => void;
  onSyncDone: (...e: ConsensusNodeEvents['sync:done']) => void;
  requestForkCheck: () => void;
}): void {
  o.forks.on('sync:start', (e) => o.onSyncStart(e));
  o.forks.on('sync:done', (e) => {
    if (e.error) o.log.warn({ height: e.height, target: e.target, err: e.error.message }, 'sync failed');
    o.onSyncDone(e);
  });
  o.forks.on('fork:error', (e) =>
    o.log.debug({ peer: e.peerId.slice(0, 12), err: e.error.message }, 'fork candidate given up'),
  );
  o.forks.on('fork:waiting', (e) =>
    o.log.debug({ height: e.height, support: e.support, required: e.required }, 'better tip lacks support'),
  );
  o.registry.on('message', (msg: InboundMessage) => {
    if (msg.kind === 'votes' || msg.kind === 'evidence') {
      o.finality.onMessage(msg.peerId, msg.kind, msg.body);
      return;
    }
    o.gossip.onMessage(msg);
    if (msg.kind === 'chainTip' && u64ToBigInt(msg.body.height) > BigInt(o.chain.tip().height)) {
      o.requestForkCheck();
    }
  });
  o.registry.on('peer:connect', (info) => {
    o.gossip.relay.peerConnected(info.id);
    o.finality.onPeerConnected(info.id);
    o.requestForkCheck();
  });
  o.registry.on('peer:disconnect', (e) => {
    o.gossip.relay.peerDisconnected(e.peerId);
    o.gossip.blocks.peerDisconnected(e.peerId);
  });
}
