import { createHash, hash as oneShotHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { createBLAKE3, type IHasher } from 'hash-wasm';

/** Which BLAKE3 implementation computes header hashes. Both give identical digests. */
export type Blake3Backend = 'native' | 'wasm';

type NativeBlake3 = (input: Uint8Array) => Uint8Array;

function loadNative(): NativeBlake3 | undefined {
  try {
    const require = createRequire(import.meta.url);
    const mod = require('@napi-rs/blake-hash') as { blake3: NativeBlake3 };
    const probe = mod.blake3(new Uint8Array(0));
    return probe.length === 32 ? mod.blake3 : undefined;
  } catch {
    return undefined;
  }
}

let native: NativeBlake3 | undefined = process.env['TC_BLAKE3_FORCE_WASM'] === '1' ? undefined : loadNative();
let wasm: IHasher | undefined;
let wasmLoading: Promise<IHasher> | undefined;

/** Loads the hash-wasm BLAKE3 hasher (once). */
export function loadWasmBlake3(): Promise<IHasher> {
  if (wasm) return Promise.resolve(wasm);
  wasmLoading ??= createBLAKE3(256).then((h) => {
    wasm = h;
    return h;
  });
  return wasmLoading;
}

/**
 * Makes `blake3()` usable. A no-op when the native binding loaded; otherwise it loads the
 * WASM fallback. Call once at startup (the validation worker calls it per task, cached).
 */
export async function initHashing(): Promise<Blake3Backend> {
  if (native) return 'native';
  await loadWasmBlake3();
  return 'wasm';
}

/** The backend `blake3()` uses right now, or undefined before `initHashing()` if native failed. */
export function blake3Backend(): Blake3Backend | undefined {
  if (native) return 'native';
  return wasm ? 'wasm' : undefined;
}

function wasmDigest(hasher: IHasher, input: Uint8Array): Uint8Array {
  return hasher.init().update(input).digest('binary');
}

/** BLAKE3-256 of `input`. Throws if neither backend is ready (see `initHashing`). */
export function blake3(input: Uint8Array): Uint8Array {
  if (native) {
    const out = native(input);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  }
  if (wasm) return wasmDigest(wasm, input);
  throw new Error('BLAKE3 is not ready: the native binding failed to load; await initHashing() first');
}

/** BLAKE3-256 with an explicit backend (used by tests to prove both agree). */
export async function blake3With(backend: Blake3Backend, input: Uint8Array): Promise<Uint8Array> {
  if (backend === 'wasm') return wasmDigest(await loadWasmBlake3(), input);
  const n = native ?? loadNative();
  if (!n) throw new Error('native BLAKE3 binding (@napi-rs/blake-hash) is not available');
  return new Uint8Array(n(input));
}

/** For tests: switch to the WASM fallback as if the native binding had failed to load. */
export async function forceBlake3Backend(backend: Blake3Backend): Promise<void> {
  if (backend === 'wasm') {
    await loadWasmBlake3();
    native = undefined;
  } else {
    native = loadNative();
    if (!native) throw new Error('native BLAKE3 binding (@napi-rs/blake-hash) is not available');
  }
}

/** SHA-256 of `input` (node:crypto one-shot). */
export function sha256(input: Uint8Array): Uint8Array {
  const out = oneShotHash('sha256', input, 'buffer');
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** SHA-256 of the concatenation of two 32-byte values (a merkle node). */
export function sha256Pair(left: Uint8Array, right: Uint8Array): Uint8Array {
  const out = createHash('sha256').update(left).update(right).digest();
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
