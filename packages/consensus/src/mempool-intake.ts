import { encodeTransaction, type tc } from '@tc/wire';
import type { UtxoEntry, UtxoSource } from './chain-state.js';
import { ConsensusError } from './errors.js';
import { decodeTransactionData, fromPbTransaction, type TransactionData } from './model.js';

/** A decoded transaction of a batch, at `index` of the caller's list. */
export interface Work {
  readonly index: number;
  readonly tx: TransactionData;
  readonly bytes: Uint8Array;
  /** Known already (the caller hashed it), else undefined. */
  readonly txid: Uint8Array | undefined;
}

/** A transaction the validator passed: its txid and consensus size. */
export interface Ready extends Work {
  readonly txid: Uint8Array;
  readonly size: number;
  /** The outputs its inputs spend, as read before validation. */
  readonly spent: readonly (UtxoEntry | undefined)[];
}

/**
 * Decodes a batch on this thread (the cheap step before any verification): one Work per
 * transaction that decodes, one refusal per one that does not. `txids` are ids the caller
 * hashed already (same order), carried along so nothing is hashed twice.
 */
export function decodeBatch(
  txs: readonly (Uint8Array | tc.v1.Transaction.$Properties)[],
  txids?: readonly (Uint8Array | undefined)[],
): { decoded: Work[]; refused: { index: number; error: ConsensusError }[] } {
  const decoded: Work[] = [];
  const refused: { index: number; error: ConsensusError }[] = [];
  txs.forEach((item, index) => {
    try {
      const bytes = item instanceof Uint8Array ? item : encodeTransaction(item);
      const tx = item instanceof Uint8Array ? decodeTransactionData(item) : fromPbTransaction(item);
      decoded.push({ index, tx, bytes, txid: txids?.[index] });
    } catch (err) {
      if (!(err instanceof ConsensusError)) throw err;
      refused.push({ index, error: err });
    }
  });
  return { decoded, refused };
}

/** The outputs each transaction spends (undefined where unknown or spent), in one lookup. */
export async function readInputs(
  work: readonly Work[],
  utxos: UtxoSource,
): Promise<(readonly (UtxoEntry | undefined)[])[]> {
  const outpoints = work.flatMap((w) => w.tx.inputs.map((i) => ({ txid: i.prevTxid, vout: i.vout })));
  const entries = outpoints.length > 0 ? await utxos.getUtxos(outpoints) : [];
  let at = 0;
  return work.map((w) => {
    const mine = entries.slice(at, at + w.tx.inputs.length);
    at += w.tx.inputs.length;
    return mine;
  });
}
