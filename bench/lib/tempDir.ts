import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { releaseDir, removeIfOrphaned } from './orphanReaper.js';

/** Temp directories still in use, removed at exit even when a run is cut short (by a kill -9: see orphanReaper.ts). */
const open = new Set<string>();

process.once('exit', removeTempDirs);

/** Remove every temp directory still held (at exit, or when a signal stops the run). */
export function removeTempDirs(): void {
  for (const dir of open) forget(dir);
}

/** Hold a temp directory made elsewhere (a NatsCluster's), so an interrupted run removes it too. */
export function holdTempDir(dir: string): void {
  open.add(dir);
  removeIfOrphaned(dir);
}

/** The directory was removed by its owner. */
export function releaseTempDir(dir: string): void {
  open.delete(dir);
  releaseDir(dir);
}

function forget(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  releaseTempDir(dir);
}

/** Run `fn` with a fresh temp directory that is removed afterwards, whatever happens. */
export async function withTempDir<T>(prefix: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), `rep-bench-${prefix}-`));
  holdTempDir(dir);
  try {
    return await fn(dir);
  } finally {
    forget(dir);
  }
}
