// CPU time from /proc (Linux): the machine's busy share, and one process's main thread apart
// from its other threads (a node's pool worker, V8's compiler and GC threads). The fresh-node
// sync compares a process with a baseline measured in another one: on a loaded machine the two
// get different shares of its cores, and these say how different.
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's CPU times (CLK_TCK, 100 on Linux builds). */
const TICKS_PER_SEC = 100;

/** The machine's CPU times since boot, in ticks: busy (user, nice, system, irq, softirq, steal) and all. */
export function machineTicks() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
  const busy = f[0] + f[1] + f[2] + f[5] + f[6] + f[7];
  return { busy, total: busy + f[3] + f[4] };
}

/** The busy share (0..1) of the machine's cores between two machineTicks() readings. */
export function busyShare(before, after) {
  const total = after.total - before.total;
  return total > 0 ? (after.busy - before.busy) / total : Number.NaN;
}

/** CPU seconds of `pid`'s main thread and of all its other threads together (threads gone are not counted). */
export function processCpu(pid) {
  let main = 0;
  let others = 0;
  let tids = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return { main, others };
  }
  for (const tid of tids) {
    let stat;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const seconds = (Number(f[11]) + Number(f[12])) / TICKS_PER_SEC;
    if (Number(tid) === pid) main += seconds;
    else others += seconds;
  }
  return { main, others };
}
