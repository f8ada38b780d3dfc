import type { EventEmitter } from 'node:events';
import type { InboundMessage, Logger, PeerConnectionRegistry } from '@tc/registry';
import { u64ToBigInt } from '@tc/wire';
import type { ChainManager } from '../chain/chain-manager.js';
import type { ForkWatcher } from '../chain/fork-watcher.js';
import type { FinalityService } from '../finality/finality-service.js';
import type { RangeSync } from '../sync/range-sync.js';
import type { ChainActivity } from './chain-activity.js';
import type { Gossip } from './gossip.js';
import type { NodeMetrics } from './node-metrics.js';
import type { ConsensusNodeEvents } from './node-types.js';
import type { ProductionLoop } from './production-loop.js';

/**
 * Where a node's events go. The chain: a connected block to the activity record, gossip
 * (its transactions confirmed), production and finality, a reorg to the activity record; both
 * out as the node's own events. Peers: votes and evidence to finality, everything else to
 * gossip, a taller announced tip to a fork check; new and departed peers to the relays and
 * finality. The fork watcher: sync outcomes to the node's events and log, checks to metrics.
 */
export function routeNodeEvents(o: {
  registry: PeerConnectionRegistry;
  forks: ForkWatcher;
  gossip: Gossip;
  finality: FinalityService;
  chain: ChainManager;
  activity: ChainActivity;
  producer: ProductionLoop | undefined;
  metrics: NodeMetrics | undefined;
  log: Logger;
  /** The node, which emits what happened as its own events. */
  events: Pick<EventEmitter<ConsensusNodeEvents>, 'emit'>;
  requestForkCheck: () => void;
  /** The running range sync takes peers that connect meanwhile as download sources. */
  rangeSync?: RangeSync | undefined;
}): void {
  o.chain.on('block:connected', (e) => {
    o.activity.connected(e);
    o.gossip.confirmed(e.plan.txs);
    o.producer?.reschedule();
    o.finality.onChainChanged();
    o.events.emit('block', e);
  });
  o.chain.on('reorg', (e) => {
    o.activity.reorged(e);
    o.events.emit('reorg', e);
  });
  o.forks.on('check', (r) => o.metrics?.forkChecks.inc({ action: r.action }));
  o.forks.on('sync:start', (e) => o.events.emit('sync:start', e));
  o.forks.on('sync:done', (e) => {
    if (e.error) o.log.warn({ height: e.height, target: e.target, err: e.error.message }, 'sync failed');
    o.events.emit('sync:done', e);
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
    // A fork check queued behind the running one would add this peer only after the sync.
    const height = info.tip.height;
    if (
      o.rangeSync?.syncing &&
      height > BigInt(o.chain.tip().height) &&
      height <= BigInt(Number.MAX_SAFE_INTEGER)
    ) {
      o.rangeSync.addSources([{ peerId: info.id, height: Number(height), hash: info.tip.hash }]);
    }
    o.requestForkCheck();
  });
  o.registry.on('peer:disconnect', (e) => {
    o.gossip.relay.peerDisconnected(e.peerId);
    o.gossip.blocks.peerDisconnected(e.peerId);
  });
}
