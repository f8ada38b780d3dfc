import type { ChainStore } from '@tc/storage';

export interface AddressUtxo {
  readonly txid: Uint8Array;
  readonly vout: number;
  readonly value: bigint;
  readonly height: number;
}

/** Most UTXOs of one address read for `getbalance`'s count and `listunspent` (storage's maxBatchLookups). */
export const MAX_ADDRESS_UTXOS = 100_000;

/**
 * Up to MAX_ADDRESS_UTXOS UTXOs paid to `recipient` (a 32-byte address), in outpoint order, from
 * one snapshot of @tc/storage's address index (`getUtxosByRecipient`).
 */
export function utxosOf(store: ChainStore, recipient: Uint8Array): AddressUtxo[] {
  return store.getUtxosByRecipient(recipient, MAX_ADDRESS_UTXOS).map(({ outpoint, output }) => ({
    // Copy: the store may hand out views of a buffer it reuses.
    txid: Uint8Array.prototype.slice.call(outpoint.txid),
    vout: outpoint.vout,
    value: output.value,
    height: output.height,
  }));
}

/** Sum of every UTXO paid to `recipient` (storage's `getBalance`, one snapshot, no cap). */
export function balanceOf(store: ChainStore, recipient: Uint8Array): bigint {
  return store.getBalance(recipient);
}
