import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Temp directories still in use, removed at exit even when a run is cut short. */
const open = new Set<string>();

process.once('exit', () => {
  for (const dir of open) rmSync(dir, { recursive: true, force: true });
});

/** Run `fn` with a fresh temp directory that is removed afterwards, whatever happens. */
export async function withTempDir<T>(prefix: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), `rep-bench-${prefix}-`));
  open.add(dir);
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    open.delete(dir);
  }
}
