import type { tc } from '@tc/wire';
import type { GenesisConfig } from '../genesis.js';
import type { StatelessValidator } from '../stateless-validator.js';
import { type Certificate, certificateError, certificateFromWire } from './certificate.js';
import type { FinalityMetrics } from './finality-metrics.js';
import { type Checkpoint, heightOf } from './vote.js';

/** Certificates received whose blocks are not canonical yet; the lowest goes first past it. */
export const MAX_PENDING_CERTIFICATES = 64;

export interface CertificateIntakeOptions {
  genesis: GenesisConfig;
  validator: Pick<StatelessValidator, 'verifySignatures'>;
  /** Height of our finalized block: certificates at or below it are skipped. */
  finalizedHeight: () => number;
  /** Whether a checkpoint's block is canonical now. */
  canonical: (cp: Checkpoint) => boolean;
  /** Makes a verified certificate's block final (the service writes it). */
  apply: (cert: Certificate) => void;
  onPeerFault: (peerId: string, code: string) => void;
  metrics?: FinalityMetrics;
}

/**
 * The certificates range sync carries (README 15.6): each is verified (15.3, signatures in the
 * pool) as it arrives, kept until its blocks are canonical on this node, then the highest one
 * is applied. A certificate that fails its check is the sender's fault (it served it).
 */
export class CertificateIntake {
  private readonly pending = new Map<number, Certificate>();

  constructor(private readonly o: CertificateIntakeOptions) {}

  async receive(peerId: string, certs: readonly tc.v1.ICertificate[]): Promise<void> {
    for (const wire of certs.slice(0, MAX_PENDING_CERTIFICATES)) {
      const cert = certificateFromWire(wire);
      if (heightOf(cert.source) <= this.o.finalizedHeight()) continue;
      let error: string | undefined;
      try {
        error = await certificateError(this.o.genesis, cert, (items) =>
          this.o.validator.verifySignatures(items),
        );
      } catch {
        return; // not judged (the pool is full or stopping): a later range carries it again
      }
      if (error) {
        this.o.metrics?.certificates.inc({ result: 'invalid' });
        this.o.onPeerFault(peerId, 'INVALID_CERTIFICATE');
        return;
      }
      this.o.metrics?.certificates.inc({ result: 'valid' });
      this.pending.set(heightOf(cert.source), cert);
      while (this.pending.size > MAX_PENDING_CERTIFICATES)
        this.pending.delete(Math.min(...this.pending.keys()));
    }
    this.tryApply();
  }

  /** Applies the highest waiting certificate whose blocks are canonical now; forgets passed ones. */
  tryApply(): void {
    let best: Certificate | undefined;
    for (const [height, cert] of this.pending) {
      if (height <= this.o.finalizedHeight()) this.pending.delete(height);
      else if (this.o.canonical(cert.source) && this.o.canonical(cert.target)) {
        if (best === undefined || cert.source.epoch > best.source.epoch) best = cert;
      }
    }
    if (best === undefined) return;
    this.pending.delete(heightOf(best.source));
    this.o.apply(best);
  }
}
