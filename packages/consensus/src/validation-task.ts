import { HASH_BYTES, PUBLIC_KEY_BYTES, SIGNATURE_BYTES, transferableCopy } from './bytes.js';
import { type StatelessErrorCode, StatelessValidationError } from './errors.js';
import type { StatelessParams } from './genesis.js';
import { verifySignature } from './keys.js';
import { decodeBlockData, decodeTransactionData } from './model.js';
import type { SignatureCache } from './sig-cache.js';
import {
  maxEncodedBlockBytes,
  type StatelessBlockResult,
  type StatelessTxResult,
  validateBlockStateless,
  validateTransactionStateless,
} from './stateless.js';

/**
 * The message format between the main thread and a validation worker. One task is a batch:
 * a whole block, or many transactions packed into one buffer. Buffers are ArrayBuffer-backed
 * so they can be transferred, not copied.
 */
export type ValidationTask =
  | {
      readonly kind: 'block';
      readonly bytes: Uint8Array;
      readonly params: StatelessParams;
      readonly expectedHash?: Uint8Array;
      /** Queue order (task-queue.ts): the height an import needs it at; none = at once. */
      readonly order?: number;
    }
  | {
      /** Several whole blocks in one task (ValidationPool coalesces the calls of one tick). */
      readonly kind: 'blocks';
      /** All encoded blocks back to back. */
      readonly bytes: Uint8Array;
      /** n + 1 offsets into `bytes`; block i is bytes[offsets[i], offsets[i+1]). */
      readonly offsets: Uint32Array;
      readonly params: StatelessParams;
      /** Queue order (task-queue.ts): the lowest of its blocks'; none = at once. */
      readonly order?: number;
    }
  | {
      readonly kind: 'txs';
      /** All encoded transactions back to back. */
      readonly bytes: Uint8Array;
      /** n + 1 offsets into `bytes`; tx i is bytes[offsets[i], offsets[i+1]). */
      readonly offsets: Uint32Array;
      readonly params: StatelessParams;
      /** n txids back to back (32 bytes each, all zero = unknown) that this node hashed already. */
      readonly txids?: Uint8Array;
    }
  | {
      readonly kind: 'sigs';
      /** Per item: public key (32) ‖ signature (64) ‖ message, back to back. */
      readonly bytes: Uint8Array;
      /** n + 1 offsets into `bytes`. */
      readonly offsets: Uint32Array;
    };

export interface SerializedError {
  readonly code: StatelessErrorCode;
  readonly message: string;
  readonly txIndex?: number;
  readonly inputIndex?: number;
}

/** When the worker started and ended a task, ms on its clock (timeOrigin + now). */
export interface WorkerTimes {
  readonly startedAtMs?: number;
  readonly endedAtMs?: number;
}

export type BlockTaskResult =
  | {
      readonly kind: 'block';
      readonly ok: true;
      readonly hash: Uint8Array;
      readonly txids: Uint8Array;
      readonly size: number;
      readonly sigCacheHits: number;
      readonly sigCacheMisses: number;
    }
  | { readonly kind: 'block'; readonly ok: false; readonly error: SerializedError };

export type ValidationTaskResult =
  | BlockTaskResult
  | { readonly kind: 'blocks'; readonly results: readonly BlockTaskResult[] }
  | {
      readonly kind: 'txs';
      /** 32 bytes per transaction (zeros where it failed). */
      readonly txids: Uint8Array;
      readonly sizes: Uint32Array;
      readonly errors: readonly (SerializedError | null)[];
    }
  | {
      readonly kind: 'sigs';
      /** 1 where item i's signature is valid (consensus README 2.7), 0 elsewhere. */
      readonly valid: Uint8Array;
    };

function serialize(err: unknown): SerializedError {
  if (err instanceof StatelessValidationError) {
    const out: { -readonly [K in keyof SerializedError]: SerializedError[K] } = {
      code: err.code,
      message: err.message,
    };
    if (err.txIndex !== undefined) out.txIndex = err.txIndex;
    if (err.inputIndex !== undefined) out.inputIndex = err.inputIndex;
    return out;
  }
  throw err; // a bug, not a rule violation: let the pool report it
}

export function deserializeError(e: SerializedError): StatelessValidationError {
  const message = e.message.startsWith(`${e.code}: `) ? e.message.slice(e.code.length + 2) : e.message;
  return new StatelessValidationError(e.code, message, { txIndex: e.txIndex, inputIndex: e.inputIndex });
}

/**
 * Runs one task synchronously (BLAKE3 must be initialised). Used by the worker and inline.
 * `cache` records verified transactions and lets blocks skip their signature checks.
 */
export function runValidationTask(task: ValidationTask, cache?: SignatureCache): ValidationTaskResult {
  if (task.kind === 'blocks') {
    const results: BlockTaskResult[] = [];
    for (let i = 0; i + 1 < task.offsets.length; i++) {
      const bytes = task.bytes.subarray(task.offsets[i]!, task.offsets[i + 1]!);
      results.push(
        runValidationTask({ kind: 'block', bytes, params: task.params }, cache) as BlockTaskResult,
      );
    }
    return { kind: 'blocks', results };
  }
  if (task.kind === 'block') {
    try {
      if (task.bytes.length > maxEncodedBlockBytes(task.params)) {
        throw new StatelessValidationError('OVERSIZE_BLOCK', `encoded block is ${task.bytes.length} bytes`);
      }
      const block = decodeBlockData(task.bytes);
      const r = validateBlockStateless(block, task.params, task.expectedHash, cache);
      const txids = new Uint8Array(new ArrayBuffer(r.txids.length * HASH_BYTES));
      r.txids.forEach((id, i) => {
        txids.set(id, i * HASH_BYTES);
      });
      return {
        kind: 'block',
        ok: true,
        hash: transferableCopy(r.hash),
        txids,
        size: r.size,
        sigCacheHits: r.sigCache?.hits ?? 0,
        sigCacheMisses: r.sigCache?.misses ?? block.txs.length - 1,
      };
    } catch (err) {
      return { kind: 'block', ok: false, error: serialize(err) };
    }
  }
  if (task.kind === 'sigs') return { kind: 'sigs', valid: verifyPacked(task.bytes, task.offsets) };
  const n = task.offsets.length - 1;
  const txids = new Uint8Array(new ArrayBuffer(Math.max(0, n) * HASH_BYTES));
  const sizes = new Uint32Array(Math.max(0, n));
  const errors: (SerializedError | null)[] = [];
  for (let i = 0; i < n; i++) {
    try {
      const start = task.offsets[i]!;
      const end = task.offsets[i + 1]!;
      if (end - start > task.params.maxTxBytes * 2 + 1024) {
        throw new StatelessValidationError('OVERSIZE_TX', `encoded tx is ${end - start} bytes`);
      }
      const tx = decodeTransactionData(task.bytes.subarray(start, end));
      const known = task.txids?.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES);
      const r = validateTransactionStateless(
        tx,
        task.params,
        cache,
        known && !isZero(known) ? known : undefined,
      );
      txids.set(r.txid, i * HASH_BYTES);
      sizes[i] = r.size;
      errors.push(null);
    } catch (err) {
      errors.push(serialize(err));
    }
  }
  return { kind: 'txs', txids, sizes, errors };
}

/** One signature to check: `signature` by `publicKey` over `message`. */
export interface SignatureItem {
  readonly publicKey: Uint8Array;
  readonly signature: Uint8Array;
  readonly message: Uint8Array;
}

/** Packs signature items as `sigs` tasks carry them (each item: key ‖ signature ‖ message). */
export function packSignatures(items: readonly SignatureItem[]): { bytes: Uint8Array; offsets: Uint32Array } {
  for (const item of items) {
    if (item.publicKey.length !== PUBLIC_KEY_BYTES || item.signature.length !== SIGNATURE_BYTES)
      throw new RangeError('signature item: key or signature of the wrong size');
  }
  return packTransactions(items.map((i) => Buffer.concat([i.publicKey, i.signature, i.message])));
}

function verifyPacked(bytes: Uint8Array, offsets: Uint32Array): Uint8Array {
  const n = offsets.length - 1;
  const valid = new Uint8Array(new ArrayBuffer(Math.max(0, n)));
  for (let i = 0; i < n; i++) {
    const item = bytes.subarray(offsets[i]!, offsets[i + 1]!);
    if (item.length < PUBLIC_KEY_BYTES + SIGNATURE_BYTES) continue;
    const key = item.subarray(0, PUBLIC_KEY_BYTES);
    const sig = item.subarray(PUBLIC_KEY_BYTES, PUBLIC_KEY_BYTES + SIGNATURE_BYTES);
    valid[i] = verifySignature(key, item.subarray(PUBLIC_KEY_BYTES + SIGNATURE_BYTES), sig) ? 1 : 0;
  }
  return valid;
}

/** Packs encoded transactions into one transferable buffer plus offsets. */
export function packTransactions(txs: readonly Uint8Array[]): { bytes: Uint8Array; offsets: Uint32Array } {
  let total = 0;
  for (const tx of txs) total += tx.length;
  const bytes = new Uint8Array(new ArrayBuffer(total));
  const offsets = new Uint32Array(txs.length + 1);
  let at = 0;
  txs.forEach((tx, i) => {
    offsets[i] = at;
    bytes.set(tx, at);
    at += tx.length;
  });
  offsets[txs.length] = at;
  return { bytes, offsets };
}

/** Turns a task result into the public result types (throws the block's error). */
export function blockResultOf(r: ValidationTaskResult | BlockTaskResult): StatelessBlockResult {
  if (r.kind !== 'block') throw new Error('expected a block result');
  if (!r.ok) throw deserializeError(r.error);
  const txids: Uint8Array[] = [];
  for (let i = 0; i < r.txids.length; i += HASH_BYTES) txids.push(r.txids.subarray(i, i + HASH_BYTES));
  return {
    hash: r.hash,
    txids,
    size: r.size,
    sigCache: { hits: r.sigCacheHits, misses: r.sigCacheMisses },
  };
}

export function txResultsOf(r: ValidationTaskResult): StatelessTxResult[] {
  if (r.kind !== 'txs') throw new Error('expected a txs result');
  return r.errors.map((e, i) =>
    e
      ? { ok: false as const, error: deserializeError(e) }
      : {
          ok: true as const,
          txid: r.txids.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES),
          size: r.sizes[i]!,
        },
  );
}

export function sigResultsOf(r: ValidationTaskResult): boolean[] {
  if (r.kind !== 'sigs') throw new Error('expected a sigs result');
  return Array.from(r.valid, (v) => v === 1);
}

/** Packs known txids for a `txs` task (an unknown one as 32 zero bytes), or undefined when none is known. */
export function packTxids(
  txids: readonly (Uint8Array | undefined)[] | undefined,
  n: number,
): Uint8Array | undefined {
  if (!txids?.some((id) => id !== undefined)) return undefined;
  const out = new Uint8Array(new ArrayBuffer(n * HASH_BYTES));
  for (let i = 0; i < n; i++) {
    const id = txids[i];
    if (id?.length === HASH_BYTES) out.set(id, i * HASH_BYTES);
  }
  return out;
}

function isZero(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== 0) return false;
  return true;
}
