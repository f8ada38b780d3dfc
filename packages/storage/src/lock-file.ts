import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { errnoName, mapEngineError } from './error-map.js';
import { StoreLockedError } from './errors.js';

export const LOCK_FILE_NAME = 'tc-storage.lock';

/** Data directories this process holds; a second open in-process is refused the same way. */
const heldInProcess = new Set<string>();

/**
 * One writer per data directory. LMDB itself lets several processes open an environment, but
 * a node must never run twice on one data directory, so the store takes a pid lock file
 * (created with O_EXCL). A lock left by a process that no longer exists (SIGKILL, power loss)
 * is taken over. Limitation: a reused pid of an unrelated live process makes the lock look held.
 */
export class DirectoryLock {
  private released = false;

  private constructor(
    readonly dir: string,
    private readonly file: string,
  ) {}

  static acquire(dir: string): DirectoryLock {
    const absolute = resolve(dir);
    if (heldInProcess.has(absolute)) {
      throw new StoreLockedError(absolute, 'already open in this process');
    }
    const file = join(absolute, LOCK_FILE_NAME);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = openSync(file, 'wx', 0o644);
        try {
          writeSync(fd, `${process.pid}\n`);
        } finally {
          closeSync(fd);
        }
        heldInProcess.add(absolute);
        return new DirectoryLock(absolute, file);
      } catch (error) {
        if (errnoName(error) !== 'EEXIST') throw mapEngineError(error, absolute);
      }
      const holder = readHolder(file);
      if (holder !== undefined && holder !== process.pid && isAlive(holder)) {
        throw new StoreLockedError(absolute, `held by live process ${holder} (${file})`);
      }
      // Stale (dead holder, our own pid from an earlier life, or unreadable): take it over, unless
      // another opener replaced it meanwhile (then the next attempt sees the new holder).
      if (readHolder(file) !== holder) continue;
      try {
        unlinkSync(file);
      } catch (error) {
        if (errnoName(error) !== 'ENOENT') throw mapEngineError(error, absolute);
      }
    }
    throw new StoreLockedError(absolute, `could not take over the lock file ${file}`);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    heldInProcess.delete(this.dir);
    try {
      if (readHolder(this.file) === process.pid) unlinkSync(this.file);
    } catch {
      // Best effort: a leftover lock with our dead pid is taken over on the next open.
    }
  }
}

function readHolder(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoName(error) === 'EPERM';
  }
}
