import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { BuiltChunk } from './chunkIndexer.js';
import { WorkerChunkIndexer } from './chunkIndexWorker.js';
import { SCHEMA_SQL } from './schema.js';

const dirs: string[] = [];
const indexers: WorkerChunkIndexer[] = [];

afterEach(() => {
  for (const indexer of indexers.splice(0)) indexer.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A log file holding offsets 1..rows (session `s<offset % 3>`), and an indexer over it reporting what it builds. */
function logWith(rows: number): { indexer: WorkerChunkIndexer; built: Promise<BuiltChunk>; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'index-worker-'));
  dirs.push(dir);
  const path = join(dir, 'log.db');
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec(SCHEMA_SQL);
  const insert = db.prepare('INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  for (let offset = 1; offset <= rows; offset++)
    insert.run(offset, `e${offset}`, 'timer_tick', 'src', `s${offset % 3}`, 'u', '{}', 1);
  db.close();
  let report: (chunk: BuiltChunk) => void = () => {};
  const built = new Promise<BuiltChunk>((resolve, reject) => {
    report = resolve;
    setTimeout(() => reject(new Error('no chunk built within 10 s')), 10_000).unref();
  });
  const indexer = new WorkerChunkIndexer(path, `${path}.index`, report, (_chunk, why) => {
    throw new Error(`index build failed: ${why}`);
  });
  indexers.push(indexer);
  return { indexer, built, path };
}

/** Index rows of one chunk, read back from the index file. */
function sessionEntries(path: string, c: number): number {
  const db = new Database(`${path}.index`, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM ix_session WHERE c = ?').get(c) as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('WorkerChunkIndexer', () => {
  it("builds the next log's chunks on the thread the previous log's closed session gave back", async () => {
    const first = logWith(30);
    first.indexer.build({ c: 1, lo: 1, hi: 30, idRows: 0 });
    expect(await first.built).toEqual({ c: 1, lo: 1, hi: 30, ids: 0 });
    const thread = first.indexer.threadId;
    first.indexer.close();
    expect(first.indexer.threadId).toBeNull();

    const second = logWith(12);
    second.indexer.build({ c: 1, lo: 1, hi: 12, idRows: 0 });
    expect(second.indexer.threadId).toBe(thread);
    expect(await second.built).toEqual({ c: 1, lo: 1, hi: 12, ids: 0 });
    expect(sessionEntries(second.path, 1)).toBe(12);
    expect(sessionEntries(first.path, 1)).toBe(30);
  });

  it('gives back a worker whose session closed before it opened, and the next log builds on it alone', async () => {
    const abandoned = logWith(20);
    abandoned.indexer.build({ c: 1, lo: 1, hi: 20, idRows: 0 });
    const thread = abandoned.indexer.threadId;
    // Hint: closed right after the build was sent, usually before the worker has read the open.
    abandoned.indexer.close();
    // Whether or not the worker opened it before the close, nothing of it may reach the next log.
    abandoned.built.catch(() => {});

    const next = logWith(9);
    next.indexer.build({ c: 1, lo: 1, hi: 9, idRows: 0 });
    expect(next.indexer.threadId).toBe(thread);
    expect(await next.built).toEqual({ c: 1, lo: 1, hi: 9, ids: 0 });
    expect(sessionEntries(next.path, 1)).toBe(9);
  });
});
