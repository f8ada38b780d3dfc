import { CorruptStoreError } from './errors.js';
import type { KvReader, KvWriter } from './kv-engine.js';
import { decodeOutpointKey, decodeUtxo, OUTPOINT_KEY_BYTES } from './records.js';
import type { Outpoint, Utxo } from './types.js';

/**
 * The address index (`addrs` table): one entry per UTXO,
 * `recipientLength (u8) ‖ recipient ‖ txid (32) ‖ vout (u32 BE)` → empty value.
 *
 * The length byte keeps recipients of different lengths apart (a recipient that is a prefix of
 * another never shares its key range). Entries are written and deleted in the same write
 * transaction as the UTXO they index (commit, each rollback step, reorg, batch commit), so the
 * index always equals the UTXO set.
 */

/** Longest recipient the store accepts (the index key holds it behind one length byte). */
export const MAX_RECIPIENT_BYTES = 255;

/** Default and upper bound of `getUtxosByRecipient`'s `limit`. */
export const DEFAULT_RECIPIENT_UTXOS = 1_000;

/** Offset of the recipient in a `utxos` value: value (u64 LE) ‖ height (u64 LE) ‖ recipient. */
const UTXO_RECIPIENT_OFFSET = 16;

function recipientPrefix(recipient: Uint8Array): Buffer {
  const prefix = Buffer.allocUnsafe(1 + recipient.byteLength);
  prefix[0] = recipient.byteLength;
  prefix.set(recipient, 1);
  return prefix;
}

/** `addrs` key of one UTXO, from its recipient and its `utxos` key (txid ‖ vout BE). */
export function addressKey(recipient: Uint8Array, outpointKey: Uint8Array): Uint8Array {
  if (recipient.byteLength > MAX_RECIPIENT_BYTES) {
    throw new RangeError(`recipient of ${recipient.byteLength} bytes; the limit is ${MAX_RECIPIENT_BYTES}`);
  }
  const key = Buffer.allocUnsafe(1 + recipient.byteLength + OUTPOINT_KEY_BYTES);
  key[0] = recipient.byteLength;
  key.set(recipient, 1);
  key.set(outpointKey, 1 + recipient.byteLength);
  return key;
}

/** The recipient inside a stored `utxos` value (a view, not a copy). */
function recipientOfValue(value: Uint8Array): Uint8Array {
  if (value.byteLength < UTXO_RECIPIENT_OFFSET) throw new CorruptStoreError('a utxos value is truncated');
  return value.subarray(UTXO_RECIPIENT_OFFSET);
}

/** Indexes a UTXO that is being written with `utxos[outpointKey] = value`. */
export function indexUtxo(tx: KvWriter, outpointKey: Uint8Array, value: Uint8Array): void {
  tx.put('addrs', addressKey(recipientOfValue(value), outpointKey), EMPTY);
}

/** Unindexes a UTXO whose `utxos` value was `value`. */
export function unindexUtxo(tx: KvWriter, outpointKey: Uint8Array, value: Uint8Array): void {
  tx.del('addrs', addressKey(recipientOfValue(value), outpointKey));
}

const EMPTY = new Uint8Array(0);

/** Migration 1 → 2: builds the address index from the UTXO set (one transaction, with the bump). */
export function buildAddressIndex(tx: KvWriter): void {
  for (const { key, value } of tx.range('utxos')) indexUtxo(tx, key, value);
}

function recipientEntries(r: KvReader, recipient: Uint8Array, limit?: number) {
  const start = recipientPrefix(recipient);
  const end = Buffer.concat([start, Buffer.alloc(OUTPOINT_KEY_BYTES + 1, 0xff)]);
  return r.range('addrs', { start, end, ...(limit === undefined ? {} : { limit }) });
}

/** The outpoint of an index key of `recipient`. */
function outpointOfKey(key: Uint8Array, recipient: Uint8Array): { outpoint: Outpoint; utxoKey: Uint8Array } {
  const utxoKey = key.subarray(1 + recipient.byteLength);
  if (utxoKey.byteLength !== OUTPOINT_KEY_BYTES) throw new CorruptStoreError('an addrs key has a bad length');
  return { outpoint: decodeOutpointKey(utxoKey), utxoKey };
}

/** Up to `limit` UTXOs of `recipient`, in outpoint order, read from one snapshot. */
export function readUtxosByRecipient(
  r: KvReader,
  recipient: Uint8Array,
  limit: number,
): { outpoint: Outpoint; output: Utxo }[] {
  const out: { outpoint: Outpoint; output: Utxo }[] = [];
  if (recipient.byteLength > MAX_RECIPIENT_BYTES) return out;
  for (const { key } of recipientEntries(r, recipient, limit)) {
    const { outpoint, utxoKey } = outpointOfKey(key, recipient);
    const output = r.getWith('utxos', utxoKey, decodeUtxo);
    if (output === undefined) throw new CorruptStoreError('the address index names a missing UTXO');
    out.push({ outpoint, output });
  }
  return out;
}

/** Sum of the values of every UTXO of `recipient`, from one snapshot (walks all of them). */
export function readBalance(r: KvReader, recipient: Uint8Array): bigint {
  let total = 0n;
  if (recipient.byteLength > MAX_RECIPIENT_BYTES) return total;
  for (const { key } of recipientEntries(r, recipient)) {
    const { utxoKey } = outpointOfKey(key, recipient);
    const value = r.getWith('utxos', utxoKey, (v) => decodeUtxo(v).value);
    if (value === undefined) throw new CorruptStoreError('the address index names a missing UTXO');
    total += value;
  }
  return total;
}
