import { ByteReader, ByteWriter, bytesEqual, heightKey, readHeightKey, utf8 } from './bytes.js';
import { EvidenceFullError, InvalidFinalityError } from './errors.js';
import type { KvReader, KvWriter } from './kv-engine.js';
import type { StorageLimits } from './limits.js';
import { readTip } from './meta.js';
import type { ChainTip } from './types.js';

type WriteAsync = <T>(fn: (tx: KvWriter) => T) => Promise<T>;

/**
 * `finality` table keys. One table, told apart by a one-byte prefix, so that certificates are
 * ordered by height and a range read serves a block range's certificates in one pass.
 */
const FINALIZED = utf8('F');
const VOTE_GUARD = utf8('G');
const CERT = 0x43; // 'C' ‖ height (u64 BE)
const EVIDENCE = 0x45; // 'E' ‖ evidence key (opaque, ≤ 64 bytes)

/** Certificate bytes are opaque here (consensus encodes them); this bounds one record. */
export const MAX_CERTIFICATE_BYTES = 64 * 1024;
export const MAX_EVIDENCE_BYTES = 4 * 1024;
export const MAX_VOTE_GUARD_BYTES = 1024;

function certKey(height: number): Uint8Array {
  const key = new Uint8Array(9);
  key[0] = CERT;
  key.set(heightKey(height), 1);
  return key;
}

function prefixed(prefix: number, rest: Uint8Array): Uint8Array {
  const key = new Uint8Array(1 + rest.length);
  key[0] = prefix;
  key.set(rest, 1);
  return key;
}

export function encodeFinalized(tip: ChainTip): Uint8Array {
  return new ByteWriter(40).height(tip.height).raw(tip.hash).finish();
}

export function decodeFinalized(bytes: Uint8Array): ChainTip {
  const r = new ByteReader(bytes);
  return { height: r.height(), hash: new Uint8Array(r.raw(32)) };
}

/** The finalized block, its certificate and the validator's vote guard, all in `finality`. */
export interface FinalityUpdate {
  readonly height: number;
  readonly hash: Uint8Array;
  /** The block's finality certificate (consensus encoding), when it has one of its own. */
  readonly certificate?: Uint8Array;
}

/**
 * Finality state (`finality` table): the finalized block, finality certificates by height, the
 * validator's last-vote guard and equivocation evidence. The finalized block only moves up and
 * only to a block of the stored chain; a rollback or reorg below it is refused by the chain
 * writes themselves (`assertAboveFinalized`).
 */
export class FinalityRecords {
  private evidenceStored: number;

  constructor(
    private readonly writeAsync: WriteAsync,
    private readonly read: KvReader,
    private readonly limits: StorageLimits,
  ) {
    let n = 0;
    for (const _ of this.read.range('finality', {
      start: Uint8Array.of(EVIDENCE),
      end: Uint8Array.of(EVIDENCE + 1),
    }))
      n++;
    this.evidenceStored = n;
  }

  finalized(): ChainTip | undefined {
    return this.read.getWith('finality', FINALIZED, decodeFinalized);
  }

  /**
   * Moves the finalized block up to `update` and stores its certificate, in one durable
   * transaction. InvalidFinalityError (nothing written) when the block is not the stored chain's
   * block at that height, or lies below the finalized block; the same block again is a no-op
   * apart from storing a certificate it lacked.
   */
  async setFinalized(update: FinalityUpdate): Promise<void> {
    if (update.certificate && update.certificate.length > MAX_CERTIFICATE_BYTES)
      throw new RangeError(`certificate of ${update.certificate.length} bytes`);
    await this.writeAsync((tx) => {
      const canonical = tx.get('heights', heightKey(update.height));
      if (canonical === undefined || !bytesEqual(canonical, update.hash))
        throw new InvalidFinalityError(`block at ${update.height} is not the stored chain's`);
      const current = tx.getWith('finality', FINALIZED, decodeFinalized);
      if (current && update.height < current.height)
        throw new InvalidFinalityError(`height ${update.height} is below the finalized ${current.height}`);
      if (update.certificate) tx.put('finality', certKey(update.height), update.certificate);
      tx.put('finality', FINALIZED, encodeFinalized(update));
    });
  }

  certificate(height: number): Uint8Array | undefined {
    const bytes = this.read.get('finality', certKey(height));
    return bytes && new Uint8Array(bytes);
  }

  /** Certificates of heights [start, start + count), in height order. */
  certificates(start: number, count: number): { height: number; bytes: Uint8Array }[] {
    const out: { height: number; bytes: Uint8Array }[] = [];
    const range = { start: certKey(start), end: certKey(start + count) };
    for (const { key, value } of this.read.range('finality', range)) {
      out.push({ height: readHeightKey(key.subarray(1)), bytes: new Uint8Array(value) });
    }
    return out;
  }

  voteGuard(): Uint8Array | undefined {
    const bytes = this.read.get('finality', VOTE_GUARD);
    return bytes && new Uint8Array(bytes);
  }

  /** Stores the validator's last-vote guard durably (fsynced before this resolves). */
  async setVoteGuard(bytes: Uint8Array): Promise<void> {
    if (bytes.length > MAX_VOTE_GUARD_BYTES) throw new RangeError(`vote guard of ${bytes.length} bytes`);
    await this.writeAsync((tx) => tx.put('finality', VOTE_GUARD, bytes));
  }

  get evidenceCount(): number {
    return this.evidenceStored;
  }

  /** Stores evidence under `key`; false when it was stored already. EvidenceFullError past the bound. */
  async putEvidence(key: Uint8Array, bytes: Uint8Array): Promise<boolean> {
    if (key.length === 0 || key.length > 64) throw new RangeError(`evidence key of ${key.length} bytes`);
    if (bytes.length > MAX_EVIDENCE_BYTES) throw new RangeError(`evidence of ${bytes.length} bytes`);
    if (this.evidenceStored >= this.limits.maxEvidence) throw new EvidenceFullError(this.limits.maxEvidence);
    const fresh = await this.writeAsync((tx) => {
      const k = prefixed(EVIDENCE, key);
      if (tx.get('finality', k) !== undefined) return false;
      tx.put('finality', k, bytes);
      return true;
    });
    if (fresh) this.evidenceStored++;
    return fresh;
  }

  listEvidence(limit: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    const range = { start: Uint8Array.of(EVIDENCE), end: Uint8Array.of(EVIDENCE + 1), limit };
    for (const { value } of this.read.range('finality', range)) out.push(new Uint8Array(value));
    return out;
  }
}

/** Refuses (InvalidFinalityError) a rollback or reorg that would undo the finalized block. */
export function assertAboveFinalized(tx: KvReader, toHeight: number): void {
  const finalized = tx.getWith('finality', FINALIZED, decodeFinalized);
  if (finalized && toHeight < finalized.height) {
    const tip = readTip(tx);
    throw new InvalidFinalityError(
      `going back to ${toHeight} (tip ${tip?.height}) would undo the finalized block at ${finalized.height}`,
    );
  }
}
