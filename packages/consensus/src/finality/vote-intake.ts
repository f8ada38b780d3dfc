import { type KindBodies, MAX_VOTES_PER_MESSAGE } from '@tc/wire';
import type { GenesisConfig } from '../genesis.js';
import type { SeenFilter } from '../seen-filter.js';
import type { StatelessValidator } from '../stateless-validator.js';
import type { EvidenceBook } from './evidence-book.js';
import type { FinalityMetrics } from './finality-metrics.js';
import type { FinalityTracker } from './finality-tracker.js';
import { heightOf, type Vote, voteFromWire, voteKey, voteShapeError, voteSigningMessage } from './vote.js';
import type { VoteRelay } from './vote-relay.js';

export interface VoteIntakeOptions {
  genesis: GenesisConfig;
  validator: Pick<StatelessValidator, 'verifySignatures'>;
  tracker: FinalityTracker;
  /** Vote keys whose check has started (shared with our own votes, which are never checked). */
  seen: SeenFilter;
  relay: VoteRelay;
  evidence: EvidenceBook;
  metrics?: FinalityMetrics;
  /** Upper bound of any honest height now: votes past it are dropped. */
  maxPlausibleHeight: () => number;
  onPeerFault: (peerId: string, code: string) => void;
  /** Votes were counted: the tally may finalize something. */
  onCounted: () => Promise<void>;
}

/**
 * Peers' `votes` messages: shape and plausibility checks first (cheap), duplicates skipped,
 * the rest verified in the pool in one batch, then counted, relayed and, for a second vote of
 * one validator in one round, kept as evidence.
 */
export class VoteIntake {
  constructor(private readonly o: VoteIntakeOptions) {}

  async onVotes(peerId: string, body: KindBodies['votes']): Promise<void> {
    const { o } = this;
    const n = o.genesis.validators.length;
    const fresh: { vote: Vote; key: string }[] = [];
    const plausible = o.maxPlausibleHeight();
    for (const wire of body.votes.slice(0, MAX_VOTES_PER_MESSAGE)) {
      const vote = voteFromWire(wire);
      if (voteShapeError(vote, n)) {
        o.metrics?.votes.inc({ result: 'malformed' });
        o.onPeerFault(peerId, 'MALFORMED_VOTE');
        return;
      }
      if (vote.target.epoch <= o.tracker.finalized.epoch || heightOf(vote.target) > plausible) {
        o.metrics?.votes.inc({ result: 'stale' });
        continue;
      }
      // Seen when its check starts, so a copy racing in is not verified twice.
      const key = voteKey(vote);
      if (!o.seen.add(key)) {
        o.metrics?.votes.inc({ result: 'duplicate' });
        o.relay.heard(key, peerId); // it holds the vote: not sent one
        continue;
      }
      fresh.push({ vote, key });
    }
    if (fresh.length === 0) return;
    const items = fresh.map(({ vote }) => ({
      publicKey: o.genesis.validators[vote.validatorIndex]!,
      signature: vote.signature,
      message: voteSigningMessage(o.genesis.networkId, vote.source, vote.target),
    }));
    let valid: boolean[];
    try {
      valid = await o.validator.verifySignatures(items);
    } catch {
      for (const { key } of fresh) o.seen.delete(key); // not judged: a later copy is checked again
      o.metrics?.votes.inc({ result: 'dropped' }, fresh.length);
      return;
    }
    const counted: Vote[] = [];
    let invalid = false;
    fresh.forEach(({ vote, key }, i) => {
      if (!valid[i]) {
        invalid = true;
        o.seen.delete(key); // a forged copy must not hide the real vote
        o.metrics?.votes.inc({ result: 'invalid' });
        return;
      }
      const result = o.tracker.add(vote);
      o.metrics?.votes.inc({ result: result.status === 'counted' ? 'valid' : result.status });
      if (result.status === 'counted') counted.push(vote);
      if (result.status === 'equivocation') {
        void o.evidence.record({ kind: 'votes', first: result.earlier, second: vote });
      }
    });
    // A relayer checks every signature before relaying: an invalid one is the sender's own.
    if (invalid) o.onPeerFault(peerId, 'INVALID_VOTE');
    o.relay.relay(counted, peerId);
    if (counted.length > 0) await o.onCounted();
  }
}
