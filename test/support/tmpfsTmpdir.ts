import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** Where temp databases go when the machine has a RAM file system; null leaves the system temp dir. */
function ramDir(): string | null {
  try {
    accessSync('/dev/shm', constants.W_OK);
    return mkdtempSync(join('/dev/shm', 'rep-vitest-'));
  } catch {
    return null;
  }
}

/**
 * Vitest global setup: point TMPDIR (which os.tmpdir() reads, and child servers inherit) at a fresh dir on tmpfs.
 * Hint: the tests' SQLite files then commit without waiting for a shared disk's fsync, which made the log suites I/O
 * bound (82 s wall for 17 s of CPU on a busy disk). What they prove is unchanged: a kill -9 keeps what the page cache
 * holds either way, and the full-disk test mounts its own small tmpfs.
 */
export default function setup(): () => void {
  const dir = ramDir();
  if (dir === null) return () => undefined;
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(dir, { recursive: true, force: true });
  };
}
