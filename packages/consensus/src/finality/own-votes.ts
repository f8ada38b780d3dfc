import type { ChainStore } from '@tc/storage';
import { bytesEqual } from '../bytes.js';
import type { ChainManager } from '../chain/chain-manager.js';
import { type GenesisConfig, genesisHash } from '../genesis.js';
import { type KeyPair, Signer } from '../keys.js';
import type { SeenFilter } from '../seen-filter.js';
import type { FinalityMetrics } from './finality-metrics.js';
import type { FinalityTracker } from './finality-tracker.js';
import { checkpointAt, signVote, voteKey } from './vote.js';
import { decodeVoteGuard, encodeVoteGuard, mayVote, type VoteGuardState } from './vote-guard.js';
import type { VoteRelay } from './vote-relay.js';

export interface OwnVotesEnv {
  readonly genesis: GenesisConfig;
  readonly store: ChainStore;
  readonly chain: ChainManager;
  readonly tracker: FinalityTracker;
  /** Votes seen (ours included), so a copy of our own vote coming back is not counted again. */
  readonly seen: SeenFilter;
  readonly relay: VoteRelay;
  /** Our validator key: we vote when it is in the genesis validator list. */
  readonly validatorKey?: KeyPair;
  readonly metrics?: FinalityMetrics;
  /** Test only: also sign a second round-0 vote the guard forbids. */
  readonly equivocate: boolean;
  stopped(): boolean;
  /** Counts the tally again after our vote. */
  evaluate(): Promise<void>;
  warn(error: unknown): void;
}

/**
 * This node's own votes (README 15.4): one at a time, each behind the vote guard, which is
 * fsynced before the vote leaves, so a restart can never sign a conflicting vote. Owns the
 * signer, the guard and the "vote again" flag.
 */
export class OwnVotes {
  private readonly signer: Signer | undefined;
  private readonly myIndex: number;
  private guard: VoteGuardState | undefined;
  private voting = false;
  private voteWanted = false;

  constructor(private readonly env: OwnVotesEnv) {
    const key = env.validatorKey;
    this.myIndex = key ? env.genesis.validators.findIndex((v) => bytesEqual(v, key.publicKey)) : -1;
    this.signer = key && this.myIndex >= 0 ? new Signer(key) : undefined;
    const guardBytes = env.store.getVoteGuard();
    if (guardBytes) {
      this.guard = decodeVoteGuard(guardBytes);
      if (this.guard.justified) env.tracker.markJustified(this.guard.justified);
    }
  }

  /** The tip moved or a round was justified: vote again once the running vote is done. */
  schedule(): void {
    if (this.signer === undefined) return;
    this.voteWanted = true;
    if (!this.voting) void this.voteLoop();
  }

  private async voteLoop(): Promise<void> {
    this.voting = true;
    try {
      while (this.voteWanted && !this.env.stopped()) {
        this.voteWanted = false;
        await this.voteForTip();
      }
    } catch (error) {
      this.env.warn(error);
    } finally {
      this.voting = false;
    }
  }

  /**
   * One vote for the tip, if the guard allows it (the guard is fsynced before the vote leaves):
   * its round 0 from the highest justified checkpoint, or, once that round is justified, its
   * confirmation round from it (README 15.4).
   */
  private async voteForTip(): Promise<void> {
    const signer = this.signer!;
    const tip = this.env.chain.tip();
    if (tip.height === 0) return;
    const round0 = checkpointAt(tip.height, tip.hash);
    const confirming = this.env.tracker.isJustified(round0);
    const source = confirming ? round0 : this.env.tracker.highestJustified(round0.epoch - 1);
    const target = confirming ? checkpointAt(tip.height, tip.hash, 1) : round0;
    if (this.guard && target.epoch <= this.guard.lastTargetEpoch) return; // voted this round already
    if (!mayVote(this.guard, source, target)) {
      this.env.metrics?.votesSigned.inc({ result: 'abstained' });
      return;
    }
    const justified = this.env.tracker.highestJustified(target.epoch);
    const next: VoteGuardState = { lastSourceEpoch: source.epoch, lastTargetEpoch: target.epoch, justified };
    await this.env.store.setVoteGuardAsync(encodeVoteGuard(next));
    this.guard = next;
    if (this.env.stopped()) return;
    const vote = signVote(this.env.genesis.networkId, signer, {
      validatorIndex: this.myIndex,
      source,
      target,
    });
    this.env.seen.add(voteKey(vote));
    this.env.tracker.add(vote);
    this.env.relay.relay([vote]);
    this.env.metrics?.votesSigned.inc({ result: 'signed' });
    if (this.env.equivocate && !confirming) {
      // Test only: a second round-0 vote for the same target epoch and another block (a double vote).
      const twin = signVote(this.env.genesis.networkId, signer, {
        validatorIndex: this.myIndex,
        source: checkpointAt(0, genesisHash(this.env.genesis)),
        target: { epoch: target.epoch, hash: new Uint8Array(32).fill(0xee) },
      });
      this.env.relay.relay([twin]);
    }
    await this.env.evaluate();
  }
}
