import type { Logger, PeerConnectionRegistry } from '@tc/registry';
import type { ChainStore } from '@tc/storage';
import { lastFieldOf, type tc } from '@tc/wire';
import { bytesEqual, toHex } from '../bytes.js';
import { headerHash } from '../canonical.js';
import type { GenesisConfig } from '../genesis.js';
import { type BlockHeaderData, decodeBlockHeaderData } from '../model.js';
import { SeenFilter } from '../seen-filter.js';
import type { StatelessValidator } from '../stateless-validator.js';
import {
  accused,
  decodeEvidence,
  type Evidence,
  encodeEvidence,
  evidenceError,
  evidenceFromWire,
  evidenceKey,
  evidenceToWire,
} from './evidence.js';
import type { FinalityMetrics } from './finality-metrics.js';
import { heightOf } from './vote.js';

/** `Block.producer_signature`'s field number in wire.proto. */
const BLOCK_SIGNATURE_FIELD = 3;

export interface EvidenceBookOptions {
  genesis: GenesisConfig;
  store: ChainStore;
  registry: Pick<PeerConnectionRegistry, 'broadcast'>;
  validator: Pick<StatelessValidator, 'verifySignatures'>;
  onPeerFault: (peerId: string, code: string) => void;
  log: Logger;
  metrics?: FinalityMetrics;
}

/** Evidence as RPC shows it. */
export interface EvidenceSummary {
  readonly kind: Evidence['kind'];
  readonly validatorIndex: number;
  readonly validator: string;
  readonly height: number;
  readonly key: string;
}

/**
 * Equivocation evidence (README 15.5): verified, stored once per offence, gossiped once (to
 * every peer but the one it came from), counted in metrics and listed for RPC. Evidence that
 * fails its checks is the sender's fault: a relayer verifies before relaying.
 */
export class EvidenceBook {
  private readonly seen = new SeenFilter(10_000);
  /** Fork blocks already compared with ours (by header hash). */
  private readonly forkSeen = new SeenFilter(4_096);

  constructor(private readonly o: EvidenceBookOptions) {}

  /** Evidence this node found itself (both votes already verified). */
  async record(evidence: Evidence): Promise<void> {
    await this.keep(evidence, undefined);
  }

  async onMessage(peerId: string, items: readonly tc.v1.IEvidence[]): Promise<void> {
    for (const item of items) {
      const evidence = evidenceFromWire(item);
      if (evidence === undefined) {
        this.o.onPeerFault(peerId, 'INVALID_EVIDENCE');
        return;
      }
      const keyBytes = evidenceKey(this.o.genesis, evidence);
      if (this.seen.has(toHex(keyBytes))) continue;
      let error: string | undefined;
      try {
        error = await evidenceError(this.o.genesis, evidence, (xs) => this.o.validator.verifySignatures(xs));
      } catch {
        return; // the pool could not judge it: not the sender's fault, a later copy is checked
      }
      if (error) {
        this.o.log.debug({ peer: peerId.slice(0, 12), error }, 'invalid evidence');
        this.o.onPeerFault(peerId, 'INVALID_EVIDENCE');
        return;
      }
      await this.keep(evidence, peerId, keyBytes);
    }
  }

  /**
   * An announced block that lost to our canonical block at its height (a fork): if one
   * producer signed both for the same attempt, that is evidence. Costs a header decode and a
   * lookup; the two signatures are checked in the pool only when the headers do conflict.
   * Never blames the announcer (fork blocks are relayed unvalidated by honest peers too).
   */
  async checkForkBlock(bytes: Uint8Array): Promise<void> {
    let header: BlockHeaderData;
    try {
      header = decodeBlockHeaderData(bytes);
    } catch {
      return;
    }
    const hash = headerHash(header);
    if (!this.forkSeen.add(toHex(hash))) return;
    const canonicalHash = this.o.store.getBlockHash(header.height);
    const canonical = canonicalHash && this.o.store.getBlockBytes(canonicalHash);
    if (!canonical || bytesEqual(canonicalHash, hash)) return;
    const ours = decodeBlockHeaderData(canonical);
    if (
      !bytesEqual(ours.producerPublicKey, header.producerPublicKey) ||
      ours.leaderAttempt !== header.leaderAttempt
    )
      return;
    const signatureOf = (b: Uint8Array) => lastFieldOf(b, BLOCK_SIGNATURE_FIELD) ?? new Uint8Array();
    const evidence: Evidence = {
      kind: 'blocks',
      first: { header: ours, signature: new Uint8Array(signatureOf(canonical)) },
      second: { header, signature: new Uint8Array(signatureOf(bytes)) },
    };
    try {
      if (await evidenceError(this.o.genesis, evidence, (xs) => this.o.validator.verifySignatures(xs)))
        return;
    } catch {
      return;
    }
    await this.keep(evidence, undefined);
  }

  /** Stored evidence, newest keys last (at most `limit`). */
  list(limit = 100): EvidenceSummary[] {
    const out: EvidenceSummary[] = [];
    for (const bytes of this.o.store.listEvidence(limit)) {
      const e = decodeEvidence(bytes);
      if (e === undefined) continue;
      const index = accused(this.o.genesis, e);
      out.push({
        kind: e.kind,
        validatorIndex: index,
        validator: toHex(this.o.genesis.validators[index] ?? new Uint8Array()),
        height: e.kind === 'votes' ? heightOf(e.first.target) : e.first.header.height,
        key: toHex(evidenceKey(this.o.genesis, e)),
      });
    }
    return out;
  }

  get count(): number {
    return this.o.store.evidenceCount;
  }

  private async keep(
    evidence: Evidence,
    from: string | undefined,
    keyBytes = evidenceKey(this.o.genesis, evidence),
  ): Promise<void> {
    const key = toHex(keyBytes);
    if (!this.seen.add(key)) return;
    let fresh: boolean;
    try {
      fresh = await this.o.store.putEvidenceAsync(keyBytes, encodeEvidence(evidence));
    } catch (error) {
      this.o.log.warn({ err: (error as Error).message }, 'evidence not stored');
      fresh = true; // still relayed and counted: the store's bound is ours, not the network's
    }
    if (!fresh) return;
    const index = accused(this.o.genesis, evidence);
    this.o.metrics?.equivocations.inc({ kind: evidence.kind === 'votes' ? 'vote' : 'block' });
    this.o.log.warn({ validator: index, kind: evidence.kind }, 'validator equivocated: evidence stored');
    this.o.registry.broadcast(
      { kind: 'evidence', body: { items: [evidenceToWire(evidence)] } },
      from ? { except: [from] } : {},
    );
  }
}
