import type { tc } from '@tc/wire';
import type { ChainManager } from './chain-manager.js';
import type { PeerChainApi } from './peer-chain.js';
import type { ReorgResult } from './reorg.js';

/** A peer whose chain extends ours, as handed to the extension sync. */
export interface SyncPeer {
  readonly peerId: string;
  readonly height: number;
  readonly hash: Uint8Array;
}

/** Brings the chain up to peers whose chains extend ours (RangeSync, or the built-in fetch). */
export type ExtendSync = (peers: SyncPeer[]) => Promise<unknown>;

export interface ForkWatcherOptions {
  api: PeerChainApi;
  chain: ChainManager;
  /**
   * Distinct peers that must report a winning tip before blocks are abandoned (default 1: the
   * branch is fully validated before the switch, and a higher count can never be met once
   * honest nodes have split into singletons, which left them apart for good).
   */
  minPeers?: number;
  /** Timeout of each tip, hash and range request (default 5 000 ms). */
  requestTimeoutMs?: number;
  /** Blocks per getBlockRange request (default 128). */
  rangeBatch?: number;
  /** Most branch blocks fetched for one reorg; the rest follows by extension (default 512). */
  maxBranchBlocks?: number;
  /** Most blocks the built-in extension imports in one check (default 10 000). */
  maxExtendBlocks?: number;
  /** Tip groups examined per check, best first (default 3). */
  maxCandidates?: number;
  /**
   * Least time between the starts of two tip queries (default 0: none). Every check asks every
   * peer for its tip, and peers rate-limit getChainTip (registry default 2/s, burst 10) and
   * punish the excess: on fast slots, unthrottled checks (one per announced fork block) get an
   * honest node disconnected and then banned by all its peers, and it stops following the chain.
   */
  minCheckIntervalMs?: number;
  /** Extension sync; default: fetch ranges from the peers and `chain.importBlocks`. */
  sync?: ExtendSync;
  /**
   * The highest height any chain can have now (the schedule's bound, see `maxPlausibleHeight`);
   * a peer claiming more is reported IMPLAUSIBLE_TIP and its claim is dropped. Default: no bound.
   */
  maxPlausibleHeight?: () => number;
  /** Finality certificates a fetched branch carried (FinalityService.onCertificates). */
  onCertificates?: (peerId: string, certificates: tc.v1.ICertificate[]) => void;
  /** A peer sent something wrong: consensus or fork/sync code (ConsensusNode → registry.reportPeer). */
  onPeerFault?: (peerId: string, code: string, detail: string) => void;
}

export type ForkCheckResult =
  | { readonly action: 'none' }
  | { readonly action: 'extended'; readonly from: number; readonly to: number }
  | { readonly action: 'reorg'; readonly result: ReorgResult }
  | {
      readonly action: 'waiting-support';
      readonly height: number;
      readonly support: number;
      readonly required: number;
    };

export interface ForkWatcherEvents {
  'sync:start': [{ target: number; peers: string[] }];
  'sync:done': [{ height: number; target: number; error?: Error }];
  /** A better branch lacks the required number of distinct reporting peers. */
  'fork:waiting': [{ height: number; hash: Uint8Array; support: number; required: number }];
  /** A check finished (once per run, joined callers share it). */
  check: [ForkCheckResult];
  /** A higher branch was not followed: it lacks our justified checkpoint (README 11). */
  'fork:held': [{ peerId: string; height: number; justifiedEpoch: number }];
  /** A candidate was given up (too deep, invalid, unreachable). */
  'fork:error': [{ peerId: string; error: Error }];
}
