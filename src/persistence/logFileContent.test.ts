import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LogOpenError } from './logErrors.js';
import {
  foreignFileRefusal,
  LOG_FORMAT,
  LOG_FORMAT_KEY,
  readLogFileContent,
  refuseForeignFile,
  shellWord,
  suggestedLogPath,
} from './logFileContent.js';
import { SqliteEventLog } from './sqliteEventLog.js';

/** The FastAPI service's schema (its src/database.py). */
const LEGACY_SCHEMA = `
CREATE TABLE events (id TEXT PRIMARY KEY, event_type TEXT NOT NULL, source TEXT NOT NULL, session_id TEXT, user_id TEXT, payload TEXT, timestamp TEXT NOT NULL);
CREATE TABLE event_stats (event_type TEXT PRIMARY KEY, count INTEGER DEFAULT 0, last_seen TEXT);
CREATE INDEX idx_events_type ON events(event_type);
CREATE INDEX idx_events_timestamp ON events(timestamp);`;

const hash = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('readLogFileContent', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rep-content-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function sqlite(name: string, sql: string): string {
    const path = join(dir, name);
    const db = new Database(path);
    db.exec(sql);
    db.close();
    return path;
  }

  it('finds nothing in an absent file, an empty one, or a database without tables', () => {
    expect(readLogFileContent(join(dir, 'absent.db'))).toEqual({ kind: 'none' });
    writeFileSync(join(dir, 'empty.db'), '');
    expect(readLogFileContent(join(dir, 'empty.db'))).toEqual({ kind: 'none' });
    expect(readLogFileContent(sqlite('bare.db', 'PRAGMA user_version = 1'))).toEqual({ kind: 'none' });
    expect(readLogFileContent(':memory:')).toEqual({ kind: 'none' });
  });

  it('knows a log of this server, and lets it open', () => {
    const path = join(dir, 'events.db');
    const log = new SqliteEventLog({ path, newId: (offset) => `e${offset}`, newEpoch: () => 'epoch' });
    expect(readLogFileContent(path)).toEqual({ kind: 'log', head: 0, unfinishedMigration: null });
    const input = { id: null, event_type: 'timer_tick', source: 's', session_id: null, user_id: null } as const;
    log.appendGroups([[{ ...input, payloadJson: '{}' }], [{ ...input, payloadJson: '{}' }]]);
    log.deleteBefore(undefined);
    log.close();
    expect(readLogFileContent(path)).toEqual({ kind: 'log', head: 2, unfinishedMigration: null });
    expect(foreignFileRefusal(path)).toBeNull();
  });

  it("refuses a log of a later format (a later build's), whatever tables it added, and changes nothing", () => {
    const path = join(dir, 'events.db');
    new SqliteEventLog({ path, newId: (offset) => `e${offset}`, newEpoch: () => 'epoch' }).close();
    const db = new Database(path);
    expect(db.prepare(`SELECT value FROM meta WHERE key = '${LOG_FORMAT_KEY}'`).pluck().get()).toBe(String(LOG_FORMAT));
    db.prepare('UPDATE meta SET value = ? WHERE key = ?').run(String(LOG_FORMAT + 1), LOG_FORMAT_KEY);
    db.exec('CREATE TABLE session_later (x)');
    db.close();
    const before = hash(path);
    expect(readLogFileContent(path)).toEqual({ kind: 'newer', format: LOG_FORMAT + 1 });
    expect(foreignFileRefusal(path)).toBe(
      `it is a log of a later build of the event pipeline (log format ${LOG_FORMAT + 1}; this build reads format ` +
        `${LOG_FORMAT}), which this build would misread; the file was left untouched. Run that build (or a newer one) on it`,
    );
    expect(hash(path)).toBe(before);
  });

  it("counts the FastAPI service's events and changes nothing, not even beside the file", () => {
    const path = sqlite('events.db', LEGACY_SCHEMA);
    const db = new Database(path);
    const insert = db.prepare('INSERT INTO events VALUES (?, ?, ?, NULL, NULL, ?, ?)');
    for (let i = 0; i < 1234; i++)
      insert.run(`evt_${i}`, 'quiz_started', 'quiz_engine', '{}', '2026-01-05T10:00:00.123456Z');
    db.close();
    const before = hash(path);
    expect(readLogFileContent(path)).toEqual({ kind: 'legacy', events: 1234 });
    const refusal = foreignFileRefusal(path);
    expect(refusal).toContain("it holds the FastAPI service's events (1,234 events)");
    expect(refusal).toContain(`npx event-pipeline migrate-legacy --from ${path} --to ${join(dir, 'pipeline.db')}`);
    expect(() => refuseForeignFile(path)).toThrow(LogOpenError);
    expect(hash(path)).toBe(before);
    expect(readdirSync(dir)).toEqual(['events.db']);
  });

  it('still knows a FastAPI file an earlier version of this server added its tables to', () => {
    // Hint: before this check, the open switched such a file to WAL and added meta, producer_ids, … before failing.
    const path = sqlite('events.db', `${LEGACY_SCHEMA}; PRAGMA journal_mode = WAL; CREATE TABLE meta (key, value);`);
    expect(readLogFileContent(path)).toEqual({ kind: 'legacy', events: 0 });
  });

  it('refuses tables that are neither a log nor the FastAPI service, naming them', () => {
    const path = sqlite('app.db', 'CREATE TABLE users (id); CREATE TABLE orders (id)');
    expect(readLogFileContent(path)).toEqual({ kind: 'foreign', tables: ['orders', 'users'] });
    expect(foreignFileRefusal(path)).toMatch(/^it is an SQLite database of something else \(tables: orders, users\)/);
    // An `events` table of another shape: the open would add a column to it.
    const other = sqlite('other.db', 'CREATE TABLE events (name TEXT, at INTEGER)');
    expect(readLogFileContent(other)).toEqual({ kind: 'foreign', tables: ['events'] });
    expect(readdirSync(dir).sort()).toEqual(['app.db', 'other.db']);
  });

  it('leaves a file SQLite cannot read to the open, which names the reason', () => {
    writeFileSync(join(dir, 'notes.txt'), 'not a database, but longer than the header');
    expect(readLogFileContent(join(dir, 'notes.txt'))).toEqual({ kind: 'unreadable', reason: 'not an SQLite file' });
    expect(foreignFileRefusal(join(dir, 'notes.txt'))).toBeNull();
  });
});

describe('the migration command in a refusal', () => {
  it('quotes a path a shell would split, and suggests pipeline.db beside the old file', () => {
    expect(shellWord('data/events.db')).toBe('data/events.db');
    expect(shellWord("my data/it's.db")).toBe(`'my data/it'\\''s.db'`);
    expect(suggestedLogPath('data/events.db')).toBe('data/pipeline.db');
    expect(suggestedLogPath('events.db')).toBe('pipeline.db');
    expect(suggestedLogPath('/srv/pipeline.db')).toBe('/srv/pipeline-log.db');
  });
});
