import { statfsSync } from 'node:fs';
import { constants } from 'node:os';
import {
  DiskFullError,
  StorageError,
  StorageIoError,
  StoreLockedError,
  StoreReadOnlyError,
} from './errors.js';

/** LMDB's own error numbers (negative, in the -30799..-30781 range). */
const MDB_MAP_FULL = -30792;
const MDB_READERS_FULL = -30790;

const FULL = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);
const READ_ONLY = new Set(['EACCES', 'EPERM', 'EROFS']);
const LOCKED = new Set(['EAGAIN', 'EWOULDBLOCK', 'EBUSY']);
/** errno number → name for this platform (LMDB reports numbers, not names). */
const ERRNO_NAMES = new Map<number, string>(
  Object.entries(constants.errno).map(([errName, errNo]) => [errNo, errName]),
);

/** Below this much free space, an EIO from a write is reported as DiskFullError. */
export const FULL_DISK_FREE_BYTES = 16 * 1024 * 1024;

function freeBytes(path: string): number {
  try {
    const stats = statfsSync(path);
    return stats.bavail * stats.bsize;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/** The symbolic errno of an engine or fs error, if it has one. */
export function errnoName(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  if (typeof code === 'number') {
    if (code === MDB_MAP_FULL) return 'MDB_MAP_FULL';
    if (code === MDB_READERS_FULL) return 'MDB_READERS_FULL';
    return ERRNO_NAMES.get(Math.abs(code));
  }
  return undefined;
}

/**
 * Turns an engine or file-system failure into a typed StorageError. StorageErrors pass through;
 * programming errors (TypeError, RangeError from our own checks) are returned unchanged.
 */
export function mapEngineError(error: unknown, path: string): unknown {
  if (error instanceof StorageError) return error;
  const name = errnoName(error);
  const message = error instanceof Error ? error.message : '';
  if (name === 'MDB_MAP_FULL' || (name !== undefined && FULL.has(name)) || /No space left/i.test(message)) {
    return new DiskFullError(path, { cause: error });
  }
  if (
    (name !== undefined && READ_ONLY.has(name)) ||
    /read-only file system|permission denied/i.test(message)
  ) {
    return new StoreReadOnlyError(path, { cause: error });
  }
  if ((name !== undefined && LOCKED.has(name)) || name === 'MDB_READERS_FULL') {
    return new StoreLockedError(path, message || String(name), { cause: error });
  }
  if (name !== undefined || /Input\/output error|^MDB_/.test(message)) {
    // LMDB reports a short page write as EIO; on a nearly full file system that is a full disk.
    if (name === 'EIO' && freeBytes(path) < FULL_DISK_FREE_BYTES)
      return new DiskFullError(path, { cause: error });
    return new StorageIoError(path, { cause: error });
  }
  return error;
}
