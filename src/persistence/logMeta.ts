import type Database from 'better-sqlite3';
import { LOG_FORMAT, LOG_FORMAT_KEY } from './logFileContent.js';
import { selectTuples, valueStatement } from './sqlRows.js';

/** The log's bounds and clock floor, kept in memory and persisted in `meta` with every commit. */
export interface LogHead {
  /** The offset the next append gets (offsets are never reused). */
  next: number;
  /** Oldest retained offset (next when the log is empty). */
  first: number;
  /** Timestamp of the newest commit: commits never get an older one, whatever the clock says. */
  lastTs: number;
}

/** The `meta` key/value table. */
export class LogMeta {
  private readonly read: Database.Statement<[string], string>;
  private readonly upsert: Database.Statement<[string, string]>;
  private readonly remove: Database.Statement<[string]>;

  constructor(db: Database.Database) {
    this.read = valueStatement(db, 'SELECT value FROM meta WHERE key = ?');
    this.upsert = db.prepare(
      'INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
    );
    this.remove = db.prepare('DELETE FROM meta WHERE key = ?');
  }

  /** The value under `key`, or undefined. */
  get(key: string): string | undefined {
    return this.read.get(key);
  }

  /** Set `key` to `value`. */
  set(key: string, value: string): void {
    this.upsert.run(key, value);
  }

  /** Remove `key`. */
  delete(key: string): void {
    this.remove.run(key);
  }

  /**
   * Commit (then remove) a value the size of a typical group commit; throws when the disk cannot take it. Hint: a
   * one-row write can fit in space a nearly full disk still has while real commits fail, so the probe writes 64 KiB.
   */
  probeSpace(): void {
    this.set('space_probe', 'x'.repeat(65_536));
    this.delete('space_probe');
  }
}

/**
 * Read the head at open. Offsets are never reused: next_offset is persisted with every commit, the max row backs it up.
 * Hint: one subquery per bound reads only the b-tree's two ends; `SELECT MAX(offset), MIN(offset)` scans every page,
 * and took a garbled offset on a damaged page in the middle for the head (later publishes got offsets past it).
 */
export function readHead(db: Database.Database, meta: LogMeta): LogHead {
  const [bounds] = selectTuples<[number | null, number | null]>(
    db,
    'SELECT (SELECT MAX(offset) FROM events), (SELECT MIN(offset) FROM events)',
  );
  const [max, min] = bounds ?? [null, null];
  const next = Math.max(Number(meta.get('next_offset') ?? 1), (max ?? 0) + 1);
  const [newest] = selectTuples<[number]>(db, 'SELECT ts FROM events ORDER BY offset DESC LIMIT 1');
  return { next, first: min ?? next, lastTs: Math.max(newest?.[0] ?? 0, Number(meta.get('last_ts') ?? 0)) };
}

/** The meta table, the log's epoch (made and saved when the log is new) and its head. */
export function openMeta(
  db: Database.Database,
  newEpoch: () => string,
): { meta: LogMeta; epoch: string; head: LogHead } {
  const meta = new LogMeta(db);
  let epoch = meta.get('epoch');
  if (epoch === undefined) {
    epoch = newEpoch();
    meta.set('epoch', epoch);
  }
  if (meta.get(LOG_FORMAT_KEY) === undefined) meta.set(LOG_FORMAT_KEY, String(LOG_FORMAT));
  return { meta, epoch, head: readHead(db, meta) };
}
