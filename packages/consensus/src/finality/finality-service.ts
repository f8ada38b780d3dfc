import { EventEmitter } from 'node:events';
import { type Logger, type PeerConnectionRegistry, silentLogger } from '@tc/registry';
import type { ChainStore } from '@tc/storage';
import { type KindBodies, MAX_EVIDENCE_PER_MESSAGE, MAX_VOTES_PER_MESSAGE, type tc } from '@tc/wire';
import { toHex } from '../bytes.js';
import type { ChainManager } from '../chain/chain-manager.js';
import { type GenesisConfig, genesisHash } from '../genesis.js';
import { gossipWindowFor } from '../gossip-window.js';
import type { KeyPair } from '../keys.js';
import { SeenFilter } from '../seen-filter.js';
import type { StatelessValidator } from '../stateless-validator.js';
import { type Certificate, encodeCertificate } from './certificate.js';
import { CertificateIntake } from './certificate-intake.js';
import { EvidenceBook } from './evidence-book.js';
import type { FinalityMetrics } from './finality-metrics.js';
import { FinalityTracker } from './finality-tracker.js';
import { OwnVotes } from './own-votes.js';
import { type Checkpoint, checkpointAt, heightOf } from './vote.js';
import { VoteIntake } from './vote-intake.js';
import { VoteRelay } from './vote-relay.js';

export interface FinalityServiceOptions {
  genesis: GenesisConfig;
  store: ChainStore;
  chain: ChainManager;
  registry: Pick<PeerConnectionRegistry, 'send' | 'peers' | 'broadcast'>;
  /** Verifies signature batches (the validation pool). */
  validator: Pick<StatelessValidator, 'verifySignatures'>;
  /** Our validator key: we vote when it is in the genesis validator list. */
  validatorKey?: KeyPair;
  /** Upper bound of any honest height now (the schedule's bound): votes past it are dropped. */
  maxPlausibleHeight: () => number;
  onPeerFault: (peerId: string, code: string) => void;
  logger?: Logger;
  metrics?: FinalityMetrics;
  /** Vote relay batching window (default `gossipWindowFor(slotMs)`: a fifth of the slot, 20–200 ms). */
  voteWindowMs?: number;
  /**
   * Test only: signs a second vote the guard forbids (an equivocating validator). Never set
   * outside tests.
   */
  equivocate?: boolean;
}

export interface FinalizedEvent {
  readonly height: number;
  readonly hash: Uint8Array;
  readonly certificate: Certificate | undefined;
  /** How far behind the tip the finalized block was when it became final. */
  readonly lagBlocks: number;
}

export interface FinalityServiceEvents {
  finalized: [FinalizedEvent];
}

/**
 * Finality in the node (README 15): signs a vote when the tip moves (guard first, fsynced),
 * verifies peers' votes in the pool in batches, relays each once, tallies them in a
 * FinalityTracker and writes the finalized block with its certificate. Certificates carried
 * by range sync finalize what a syncing node imports. Equivocations go to the EvidenceBook.
 */
export class FinalityService extends EventEmitter<FinalityServiceEvents> {
  readonly tracker: FinalityTracker;
  readonly evidence: EvidenceBook;
  private readonly relay: VoteRelay;
  private readonly seen = new SeenFilter(50_000);
  private readonly log: Logger;
  /** Finality writes, one after another. */
  private writes: Promise<void> = Promise.resolve();
  private evaluating = false;
  private evaluateAgain = false;
  private stopped = false;
  private readonly certificates: CertificateIntake;
  private readonly ownVotes: OwnVotes;
  private readonly votes: VoteIntake;
  private beacon: NodeJS.Timeout | undefined;
  private finalizedAtLastBeacon = -1;
  /** Votes counted within this long are tallied once (half the vote window). */
  private readonly tallyDelayMs: number;
  private tallyTimer: NodeJS.Timeout | undefined;
  private tallied: Promise<void> | undefined;
  private tallyNow: (() => void) | undefined;

  constructor(private readonly o: FinalityServiceOptions) {
    super();
    this.log = o.logger ?? silentLogger;
    const stored = o.store.getFinalized();
    // A stored final block is final from its round 0 on; genesis is epoch 0.
    const finalized: Checkpoint = stored
      ? checkpointAt(stored.height, stored.hash)
      : checkpointAt(0, genesisHash(o.genesis));
    this.tracker = new FinalityTracker({
      genesis: o.genesis,
      chain: { hashAt: (h) => o.store.getBlockHash(h) },
      finalized,
    });
    o.chain.setFinalizedHeight(heightOf(finalized));
    o.chain.setJustification(this.tracker);
    const windowMs = o.voteWindowMs ?? gossipWindowFor(o.genesis.slotMs);
    this.relay = new VoteRelay({ registry: o.registry, windowMs });
    this.tallyDelayMs = Math.max(1, Math.round(windowMs / 2));
    this.evidence = new EvidenceBook({
      genesis: o.genesis,
      store: o.store,
      registry: o.registry,
      validator: o.validator,
      onPeerFault: o.onPeerFault,
      log: this.log,
      ...(o.metrics ? { metrics: o.metrics } : {}),
    });
    this.certificates = new CertificateIntake({
      genesis: o.genesis,
      validator: o.validator,
      finalizedHeight: () => this.finalized.height,
      canonical: (cp) => this.tracker.canonical(cp),
      apply: (cert) => {
        if (this.stopped) return;
        this.writes = this.writes
          .then(() => this.applyFinalized(cert.source, cert))
          .catch((error) => this.warn(error));
      },
      onPeerFault: o.onPeerFault,
      ...(o.metrics ? { metrics: o.metrics } : {}),
    });
    this.votes = new VoteIntake({
      genesis: o.genesis,
      validator: o.validator,
      tracker: this.tracker,
      seen: this.seen,
      relay: this.relay,
      evidence: this.evidence,
      ...(o.metrics ? { metrics: o.metrics } : {}),
      maxPlausibleHeight: o.maxPlausibleHeight,
      onPeerFault: o.onPeerFault,
      onCounted: () => this.evaluateSoon(),
    });
    this.ownVotes = new OwnVotes({
      genesis: o.genesis,
      store: o.store,
      chain: o.chain,
      tracker: this.tracker,
      seen: this.seen,
      relay: this.relay,
      ...(o.validatorKey ? { validatorKey: o.validatorKey } : {}),
      ...(o.metrics ? { metrics: o.metrics } : {}),
      equivocate: o.equivocate === true,
      stopped: () => this.stopped,
      evaluate: () => this.evaluate(),
      warn: (error) => this.warn(error),
    });
  }

  /** The finalized block (genesis until one is final). */
  get finalized(): { readonly height: number; readonly hash: Uint8Array } {
    const cp = this.tracker.finalized;
    return { height: heightOf(cp), hash: cp.hash };
  }

  /**
   * While finality stalls, every `everyMs` every peer is sent the votes that justified our
   * highest checkpoints. Votes are relayed once, so a peer that missed one of them (a voter
   * stopped mid-relay) would otherwise vote from a lower source for ever, and with it no link
   * would reach a quorum again. A few votes per peer, only while nothing is finalized.
   */
  start(everyMs: number): void {
    if (this.beacon || this.stopped) return;
    this.beacon = setInterval(() => {
      const finalized = this.tracker.finalized.epoch;
      const stalled = finalized === this.finalizedAtLastBeacon;
      this.finalizedAtLastBeacon = finalized;
      if (!stalled) return;
      const votes = this.tracker.quorumVotes();
      if (votes.length > 0) for (const peer of this.o.registry.peers()) this.relay.sendTo(peer.id, votes);
    }, everyMs);
    this.beacon.unref();
  }

  /** The tip moved (a block connected, a reorg, an import): vote for it and count again. */
  onChainChanged(): void {
    if (this.stopped) return;
    this.ownVotes.schedule();
    this.certificates.tryApply();
    void this.evaluate();
  }

  /** The registry's `message` listener for `votes` and `evidence`. Never throws. */
  onMessage(peerId: string, kind: string, body: unknown): void {
    if (this.stopped) return;
    if (kind === 'votes')
      void this.votes.onVotes(peerId, body as KindBodies['votes']).catch((e) => this.warn(e));
    else if (kind === 'evidence')
      void this.evidence.onMessage(
        peerId,
        (body as KindBodies['evidence']).items.slice(0, MAX_EVIDENCE_PER_MESSAGE),
      );
  }

  /** A new peer gets the votes we hold above the finalized block, so a reconnecting node catches up. */
  onPeerConnected(peerId: string): void {
    // One message's worth, newest targets first: what a catching-up peer needs most, within one burst.
    if (!this.stopped) this.relay.sendTo(peerId, this.tracker.recentVotes(MAX_VOTES_PER_MESSAGE));
  }

  /** Certificates a range sync carried: verified, then applied once their blocks are canonical. */
  onCertificates(peerId: string, certs: readonly tc.v1.ICertificate[]): Promise<void> {
    return this.certificates.receive(peerId, certs);
  }

  stop(): void {
    this.stopped = true;
    if (this.beacon) clearInterval(this.beacon);
    this.tallyNow?.(); // settles its waiters (finalizeLoop does nothing once stopped)
    this.relay.stop();
  }

  /** Waits for a running vote and finalization to settle (for a clean stop). */
  async settled(): Promise<void> {
    await this.writes;
  }

  /**
   * Tallies after a short delay, once for all the votes counted meanwhile: the votes of a block
   * arrive one message at a time over a few hundred ms, and tallying after each message was a
   * twentieth of an idle node's CPU on the 32-node testnet.
   */
  private evaluateSoon(): Promise<void> {
    if (this.tallied) return this.tallied;
    this.tallied = new Promise<void>((resolve) => {
      this.tallyNow = () => {
        clearTimeout(this.tallyTimer);
        this.tallyTimer = undefined;
        this.tallied = undefined;
        this.tallyNow = undefined;
        resolve(this.evaluate());
      };
      this.tallyTimer = setTimeout(this.tallyNow, this.tallyDelayMs);
      this.tallyTimer.unref();
    });
    return this.tallied;
  }

  /**
   * Finalizes what the tally allows, one block at a time, each written before it counts. All
   * finality writes run one after another on `writes`; a call during a run makes it run again.
   */
  private evaluate(): Promise<void> {
    if (this.evaluating) {
      this.evaluateAgain = true;
      return this.writes;
    }
    this.evaluating = true;
    const run = this.writes
      .then(() => this.finalizeLoop())
      .finally(() => {
        this.evaluating = false;
      });
    this.writes = run.catch((error) => this.warn(error));
    return this.writes;
  }

  private async finalizeLoop(): Promise<void> {
    do {
      this.evaluateAgain = false;
      const justifiedBefore = this.tracker.justifiedCount;
      const next = this.tracker.evaluate();
      if (this.tracker.justifiedCount !== justifiedBefore) this.ownVotes.schedule(); // maybe a confirmation round
      if (next === undefined || this.stopped) continue;
      await this.applyFinalized(next.finalized, next.certificate);
      this.evaluateAgain = true;
    } while (this.evaluateAgain && !this.stopped);
  }

  private async applyFinalized(cp: Checkpoint, certificate: Certificate | undefined): Promise<void> {
    if (cp.epoch <= this.tracker.finalized.epoch) return;
    const height = heightOf(cp);
    if (height > this.finalized.height) {
      try {
        await this.o.store.setFinalizedAsync({
          height,
          hash: cp.hash,
          ...(certificate ? { certificate: encodeCertificate(certificate) } : {}),
        });
      } catch (error) {
        // The block left the chain meanwhile (a reorg won the race) or the store failed: not final.
        this.log.debug({ height, err: (error as Error).message }, 'finalization not stored');
        return;
      }
    }
    const before = this.finalized.height;
    this.tracker.setFinalized(cp);
    if (height === before) return; // the same block again (its confirmation round): nothing new
    this.o.chain.setFinalizedHeight(height);
    const lagBlocks = this.o.chain.tip().height - height;
    this.o.metrics?.finalized(height, lagBlocks);
    this.log.debug({ height, hash: toHex(cp.hash).slice(0, 16), lagBlocks }, 'finalized');
    this.emit('finalized', { height, hash: cp.hash, certificate, lagBlocks });
  }

  private warn(error: unknown): void {
    this.log.warn({ err: error instanceof Error ? error.message : String(error) }, 'finality');
  }
}
