import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second for /proc/<pid>/stat utime and stime (USER_HZ, 100 on Linux). */
export const CLOCK_TICKS_PER_SECOND = 100;

/** CPU time (user + system) a process has used so far, in milliseconds, from /proc/<pid>/stat. */
export function cpuTimeMs(pid: number): number {
  return statCpuMs(`/proc/${pid}/stat`);
}

/** CPU time of a process's main thread alone (its I/O thread: uWS, parsing, routing), from /proc/<pid>/task/<pid>/stat. */
export function mainThreadCpuMs(pid: number): number {
  return statCpuMs(`/proc/${pid}/task/${pid}/stat`);
}

/**
 * CPU time of each thread of a process so far, in milliseconds, by thread id. Hint: Node names none of its threads, so
 * a split of a server's CPU tells them apart only by size: the I/O thread (id = pid), the writer thread, the index
 * worker, V8's four platform threads (garbage collection helpers, each a few tenths of the rest) and libuv's pool.
 */
export function threadCpuMs(pid: number): Map<string, number> {
  const threads = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      threads.set(tid, statCpuMs(`/proc/${pid}/task/${tid}/stat`));
    } catch {
      // the thread ended meanwhile
    }
  }
  return threads;
}

/** What a process's threads spent since a `threadCpuMs` reading: its main (I/O) thread, and every other one. */
export interface ThreadSpend {
  readonly ioThreadMs: number;
  /** The other threads that spent any CPU, largest first; `started`: not alive at the reading (a new thread). */
  readonly others: readonly { readonly ms: number; readonly started: boolean }[];
}

/** CPU each thread of `pid` spent since `before` (a `threadCpuMs` reading of the same process). */
export function threadCpuSince(pid: number, before: ReadonlyMap<string, number>): ThreadSpend {
  let ioThreadMs = 0;
  const others: { ms: number; started: boolean }[] = [];
  for (const [tid, ms] of threadCpuMs(pid)) {
    const spent = ms - (before.get(tid) ?? 0);
    if (tid === String(pid)) ioThreadMs = spent;
    else if (spent > 0) others.push({ ms: spent, started: !before.has(tid) });
  }
  return { ioThreadMs, others: others.sort((a, b) => b.ms - a.ms) };
}

/**
 * Minor page faults a process has taken so far (all its threads), from /proc/<pid>/stat. On this VM one costs about
 * 13 µs (a C loop touching fresh pages: 262,144 faults in 3.4 s), so faults per event are worth watching.
 */
export function minorFaults(pid: number): number {
  return Number(statFields(`/proc/${pid}/stat`)[7]);
}

/** The fields of a /proc stat file after the command name, from `state` (field 3) on. */
function statFields(path: string): string[] {
  const stat = readFileSync(path, 'utf8');
  // Hint: the command name (field 2) may contain spaces, so split after its closing parenthesis.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

function statCpuMs(path: string): number {
  const fields = statFields(path);
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** Resident set size of a process in bytes, from VmRSS in /proc/<pid>/status. */
export function rssBytes(pid: number): number {
  return statusBytes(pid, 'VmRSS');
}

/** The largest resident set size a process has had so far, in bytes (VmHWM in /proc/<pid>/status). */
export function peakRssBytes(pid: number): number {
  return statusBytes(pid, 'VmHWM');
}

function statusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
  if (!match) throw new Error(`no ${field} for pid ${pid}`);
  return Number(match[1]) * 1024;
}

/** The soft limit on open files for processes this one starts (they inherit it). */
export function openFileLimit(): number {
  const limits = readFileSync('/proc/self/limits', 'utf8');
  const match = /^Max open files\s+(\d+|unlimited)/m.exec(limits);
  return match === null || match[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(match[1]);
}
