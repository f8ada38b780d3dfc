import { HASH_BYTES, LeWriter, SIGNATURE_BYTES, utf8 } from './bytes.js';
import { sha256 } from './hashing.js';
import type { TransactionData } from './model.js';

/** Domain tag of a cache key, so it can never equal any consensus hash. */
const KEY_TAG = utf8('tc/sigcache/v1');

/** Default slots of a SignatureCache: 65 536 × 32 bytes = 2 MiB. */
export const DEFAULT_SIG_CACHE_SLOTS = 1 << 16;

/**
 * The key of one verified transaction: SHA-256("tc/sigcache/v1" ‖ u8 len ‖ networkId ‖ txid ‖
 * every input signature). The txid covers everything but the signatures, so the key binds the
 * exact bytes whose signatures were verified and the network they were verified for.
 */
export function sigCacheKey(networkId: string, txid: Uint8Array, tx: TransactionData): Uint8Array {
  const net = utf8(networkId);
  const w = new LeWriter(KEY_TAG.length + 1 + net.length + HASH_BYTES + tx.inputs.length * SIGNATURE_BYTES)
    .raw(KEY_TAG)
    .u8(net.length)
    .raw(net)
    .raw(txid, HASH_BYTES);
  for (const input of tx.inputs) w.raw(input.signature, SIGNATURE_BYTES);
  return sha256(w.finish());
}

/**
 * Transactions whose signatures were verified, shared by every validation worker: a
 * direct-mapped table of 32-byte keys in one SharedArrayBuffer (a new key takes its slot from
 * whatever was there). Filled when the mempool admits a transaction; block validation skips
 * the signature checks of the transactions it finds here, so each signature is verified once
 * per node. An entry is a fact about exact bytes ("these signatures verify on this network"),
 * which no reorg or eviction can make false, so nothing needs invalidating: a transaction that
 * leaves a block in a reorg, or the mempool, still hits. A write racing another worker can
 * tear a slot into a mix of two keys; a mix matches no key anyone can produce, so it costs at
 * most a miss.
 */
export class SignatureCache {
  readonly slots: number;
  private readonly table: Uint8Array;

  constructor(readonly buffer: SharedArrayBuffer | ArrayBuffer) {
    if (buffer.byteLength === 0 || buffer.byteLength % HASH_BYTES !== 0) {
      throw new RangeError('signature cache buffer must be a non-zero multiple of 32 bytes');
    }
    this.slots = buffer.byteLength / HASH_BYTES;
    this.table = new Uint8Array(buffer);
  }

  /** A cache over fresh shared memory of `slots` entries. */
  static create(slots = DEFAULT_SIG_CACHE_SLOTS): SignatureCache {
    if (!Number.isInteger(slots) || slots < 1) throw new RangeError('slots must be a positive integer');
    return new SignatureCache(new SharedArrayBuffer(slots * HASH_BYTES));
  }

  has(key: Uint8Array): boolean {
    const at = this.slotOf(key);
    for (let i = 0; i < HASH_BYTES; i++) if (this.table[at + i] !== key[i]) return false;
    return true;
  }

  add(key: Uint8Array): void {
    this.table.set(key.subarray(0, HASH_BYTES), this.slotOf(key));
  }

  private slotOf(key: Uint8Array): number {
    // The key is a hash: its first four bytes are as good an index as any.
    const n = ((key[0]! << 24) | (key[1]! << 16) | (key[2]! << 8) | key[3]!) >>> 0;
    return (n % this.slots) * HASH_BYTES;
  }
}
