import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

/** The FastAPI service's schema, as its src/database.py creates it (SQLite's default rollback journal, as Python's). */
export const LEGACY_SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
    id TEXT PRIMARY KEY,
    event_type TEXT NOT NULL,
    source TEXT NOT NULL,
    session_id TEXT,
    user_id TEXT,
    payload TEXT,
    timestamp TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS event_stats (
    event_type TEXT PRIMARY KEY,
    count INTEGER DEFAULT 0,
    last_seen TEXT
);
CREATE INDEX IF NOT EXISTS idx_events_type ON events(event_type);
CREATE INDEX IF NOT EXISTS idx_events_session ON events(session_id);
CREATE INDEX IF NOT EXISTS idx_events_timestamp ON events(timestamp);
CREATE INDEX IF NOT EXISTS idx_events_user ON events(user_id);`;

/** One row of the FastAPI service's `events` table; `payload` is its JSON text (Python's json.dumps), as stored. */
export interface LegacyRow {
  readonly id: string | null;
  readonly event_type: string;
  readonly source: string;
  readonly session_id: string | null;
  readonly user_id: string | null;
  readonly payload: string | null;
  readonly timestamp: string;
}

/** Write a FastAPI service database at `path` holding `rows` in that order, counted in event_stats as it counted. */
export function writeLegacyDatabase(
  path: string,
  rows: readonly LegacyRow[],
  { primaryKey = true }: { readonly primaryKey?: boolean } = {},
): void {
  const db = new Database(path);
  // Hint: without its primary key, as a file altered by hand may be, `id` can repeat.
  db.exec(primaryKey ? LEGACY_SCHEMA : LEGACY_SCHEMA.replace('id TEXT PRIMARY KEY', 'id TEXT NOT NULL'));
  const insert = db.prepare(
    'INSERT INTO events (id, event_type, source, session_id, user_id, payload, timestamp) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const count = db.prepare(
    'INSERT INTO event_stats (event_type, count, last_seen) VALUES (?, 1, ?) ON CONFLICT(event_type) DO UPDATE SET count = count + 1, last_seen = excluded.last_seen',
  );
  db.transaction(() => {
    for (const row of rows) {
      insert.run(row.id, row.event_type, row.source, row.session_id, row.user_id, row.payload, row.timestamp);
      count.run(row.event_type, row.timestamp);
    }
  })();
  db.close();
}

/** Every file in `dir` with a hash of its bytes: equal snapshots mean nothing was changed, added or removed. */
export function directorySnapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of readdirSync(dir).sort())
    files[name] = createHash('sha256')
      .update(readFileSync(join(dir, name)))
      .digest('hex');
  return files;
}

/**
 * JSON text as Python's `json.dumps` writes it, which is what the FastAPI service stored: `", "` and `": "` between
 * items, and every character past ASCII as a `\uXXXX` escape (surrogate pairs for the rest). Numbers as JSON has them.
 */
export function pythonJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`;
  if (typeof value === 'object' && value !== null)
    return `{${Object.entries(value)
      .map(([key, item]) => `${pythonJson(key)}: ${pythonJson(item)}`)
      .join(', ')}}`;
  const text = JSON.stringify(value);
  return text.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * A UTC time in epoch microseconds as the FastAPI service wrote it: `datetime.isoformat()` (which leaves out a zero
 * fraction) with `Z` as it ends now, `+00:00`, or no zone (`naive`).
 */
export function pythonIsoformat(micros: number, zone: 'Z' | '+00:00' | 'naive' = 'Z'): string {
  const seconds = Math.floor(micros / 1_000_000);
  const fraction = micros - seconds * 1_000_000;
  const text = new Date(seconds * 1000).toISOString().slice(0, 19);
  return `${text}${fraction === 0 ? '' : `.${String(fraction).padStart(6, '0')}`}${zone === 'naive' ? '' : zone}`;
}
