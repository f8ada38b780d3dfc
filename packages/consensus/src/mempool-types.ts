import type { Registry } from 'prom-client';
import type { ConsensusError } from './errors.js';
import type { MempoolError } from './mempool-errors.js';
import type { TransactionData } from './model.js';

export interface MempoolEntry {
  readonly txid: Uint8Array;
  readonly tx: TransactionData;
  /** Consensus size (canonical bytes + signatures). */
  readonly size: number;
  readonly fee: bigint;
  /** Insertion sequence; older entries win fee-rate ties. */
  readonly seq: number;
  /** The encoded transaction as admitted (served to peers as is), when the caller had it. */
  readonly bytes?: Uint8Array;
}

export type MempoolAddResult =
  | { readonly ok: true; readonly txid: Uint8Array; readonly entry: MempoolEntry }
  | { readonly ok: false; readonly txid?: Uint8Array; readonly error: ConsensusError | MempoolError };

export interface MempoolOptions {
  /** Most pending transactions. Default 10 000. */
  maxCount?: number;
  /** Most pending bytes (consensus sizes). Default 32 MiB. */
  maxBytes?: number;
  registry?: Registry;
}

/** a ranks strictly below b: lower fee rate, or equal rate and newer. */
export function below(a: MempoolEntry, b: { fee: bigint; size: number; seq: number }): boolean {
  const left = a.fee * BigInt(b.size);
  const right = b.fee * BigInt(a.size);
  return left !== right ? left < right : a.seq > b.seq;
}
