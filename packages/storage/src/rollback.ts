import { indexUtxo, unindexUtxo } from './address-index.js';
import { heightKey, toHex } from './bytes.js';
import { CorruptStoreError } from './errors.js';
import type { KvWriter } from './kv-engine.js';
import { META_TIP, readTip } from './meta.js';
import { decodeHeaderEntry, decodeUndo, encodeTip, outpointKey, type UndoTx } from './records.js';
import type { RolledBackBlock } from './types.js';

/**
 * Undoes the tip block inside the caller's write transaction: transactions in reverse order,
 * each deleting the outputs it created and restoring the exact bytes of the outputs it spent;
 * then the block's index entries go and the tip moves to the parent. Afterwards the tables are
 * byte-identical to what they were before the block was committed.
 */
export function undoTipBlock(tx: KvWriter): RolledBackBlock {
  const tip = readTip(tx);
  if (tip === undefined) throw new CorruptStoreError('undo requested on an empty chain');
  const { height, hash } = tip;
  const undoBytes = tx.get('undo', hash);
  if (undoBytes === undefined) throw new CorruptStoreError(`no undo record for tip ${toHex(hash)}`);
  let undo: UndoTx[];
  try {
    undo = decodeUndo(undoBytes);
  } catch (cause) {
    throw new CorruptStoreError(`undo record of ${toHex(hash)} does not decode`, { cause });
  }
  for (let i = undo.length - 1; i >= 0; i--) {
    const entry = undo[i]!;
    for (let vout = 0; vout < entry.outputCount; vout++) {
      const key = outpointKey({ txid: entry.txid, vout });
      const value = tx.get('utxos', key);
      if (value === undefined) continue; // only in a damaged store: nothing to delete
      tx.del('utxos', key);
      unindexUtxo(tx, key, value);
    }
    for (let j = entry.spent.length - 1; j >= 0; j--) {
      const spent = entry.spent[j]!;
      tx.put('utxos', spent.key, spent.value);
      indexUtxo(tx, spent.key, spent.value);
    }
    tx.del('txs', entry.txid);
  }
  tx.del('blocks', hash);
  tx.del('headers', hash);
  tx.del('heights', heightKey(height));
  tx.del('undo', hash);
  if (height === 0) {
    tx.del('meta', META_TIP);
  } else {
    const parent = tx.get('heights', heightKey(height - 1));
    const parentHeader = parent === undefined ? undefined : tx.get('headers', parent);
    if (parent === undefined || parentHeader === undefined) {
      throw new CorruptStoreError(`no block at height ${height - 1} below the tip`);
    }
    if (decodeHeaderEntry(parentHeader).height !== height - 1) {
      throw new CorruptStoreError(`block ${toHex(parent)} is indexed at the wrong height`);
    }
    tx.put('meta', META_TIP, encodeTip({ height: height - 1, hash: parent }));
  }
  return { height, hash };
}
