import type { ConsensusNode, GenesisConfig } from '@tc/consensus';
import type { NodeConfig } from '../config/schema.js';
import type { Logger } from '../logging.js';
import type { SyncInfo } from '../rpc/api.js';
import { RPC_ERRORS, RpcError } from '../rpc/errors.js';

export interface ChainApiContext {
  readonly config: NodeConfig;
  readonly genesis: GenesisConfig;
  readonly genesisHash: string;
  /** The running node; undefined while starting (calls answer IN_WARMUP) and after stop. */
  readonly node: () => ConsensusNode | undefined;
  readonly sync: () => SyncInfo;
  readonly log: Logger;
}

/** The running node, or IN_WARMUP while it starts. */
export function liveNode(ctx: ChainApiContext): ConsensusNode {
  const n = ctx.node();
  if (!n) throw new RpcError(RPC_ERRORS.IN_WARMUP, 'the node is starting');
  return n;
}
