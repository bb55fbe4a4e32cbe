import { statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type Database from 'better-sqlite3';
import { foreignWalRefusal } from './foreignWal.js';
import { LogOpenError } from './logErrors.js';
import { inRollbackMode, isSqliteFile, openReadOnly } from './readOnlyDatabase.js';
import { selectValue, valueStatement } from './sqlRows.js';

/**
 * Tables a log of this server holds: schema.ts's, a cluster replica's `noop_offsets`, and the `ix_*` index tables the
 * first version kept in the log file itself (before the index database).
 */
const LOG_TABLES: ReadonlySet<string> = new Set([
  'meta',
  'events',
  'producer_ids',
  'type_stats',
  'session_status',
  'session_snapshot',
  'session_refold',
  'noop_offsets',
  'ix_session',
  'ix_user',
  'ix_id',
]);

/** The columns of the FastAPI service's `events` table (its src/database.py); ours has `offset` and `ts` instead. */
const LEGACY_COLUMNS = ['id', 'event_type', 'source', 'session_id', 'user_id', 'payload', 'timestamp'];

/** The `meta` key migrate-legacy holds while it runs: the file it copies from. */
export const UNFINISHED_MIGRATION = 'unfinished_migration_from';

/**
 * The log's format, kept in `meta` as `log_format` (a log without it is format 1). A build that changes the log in a
 * way an older build would misread raises it; a log of a higher format is refused, not misread. Hint: before
 * 2026-12-07 a log had no format, so builds older than that cannot refuse a newer log.
 */
export const LOG_FORMAT = 1;
export const LOG_FORMAT_KEY = 'log_format';

/** Tables named in a refusal at most; the rest are counted. */
const NAMED_TABLES = 5;

/** What a database file holds, as a read-only look tells. */
export type LogFileContent =
  /** Absent, empty, or an SQLite database without tables: a log can be made there. */
  | { readonly kind: 'none' }
  /**
   * A log of this server, with its head offset (0: it never held an event), and the file a migration into it that
   * did not finish was copying (null when none).
   */
  | { readonly kind: 'log'; readonly head: number; readonly unfinishedMigration: string | null }
  /** A log of a later build, in a format this build cannot read (see LOG_FORMAT). */
  | { readonly kind: 'newer'; readonly format: number }
  /** The FastAPI service's database, with the rows of its `events` table. */
  | { readonly kind: 'legacy'; readonly events: number }
  | { readonly kind: 'foreign'; readonly tables: readonly string[] }
  /** Not an SQLite file, or it could not be read: the log's open decides and names the reason. */
  | { readonly kind: 'unreadable'; readonly reason: string };

/** What the database file at `path` holds, from a read-only look that changes nothing in it. */
export function readLogFileContent(path: string): LogFileContent {
  if (path === ':memory:') return { kind: 'none' };
  try {
    const stats = statSync(path, { throwIfNoEntry: false });
    if (stats === undefined || (stats.isFile() && stats.size === 0)) return { kind: 'none' };
    if (!stats.isFile() || !isSqliteFile(path)) return { kind: 'unreadable', reason: 'not an SQLite file' };
    const file = openReadOnly(path);
    try {
      return contentOf(file.db);
    } finally {
      file.close();
    }
  } catch (error) {
    return { kind: 'unreadable', reason: error instanceof Error ? error.message : String(error) };
  }
}

function contentOf(db: Database.Database): LogFileContent {
  const tables = valueStatement<string, []>(
    db,
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
  ).all();
  const columns = valueStatement<string, []>(db, "SELECT name FROM pragma_table_info('events')").all();
  if (!columns.includes('offset') && LEGACY_COLUMNS.every((column) => columns.includes(column)))
    return { kind: 'legacy', events: selectValue<number>(db, 'SELECT COUNT(*) FROM events') ?? 0 };
  const meta = (key: string) =>
    tables.includes('meta') ? selectValue<string>(db, 'SELECT value FROM meta WHERE key = ?', key) : undefined;
  // Hint: before the tables, which a later format may add to.
  const format = Number(meta(LOG_FORMAT_KEY) ?? LOG_FORMAT);
  if (!(format <= LOG_FORMAT)) return { kind: 'newer', format };
  const foreign = tables.filter((table) => !LOG_TABLES.has(table));
  // Hint: an `events` table of another shape would be altered by the open (it adds `crc`) before it fails.
  if (foreign.length > 0 || (tables.includes('events') && !columns.includes('offset')))
    return { kind: 'foreign', tables };
  if (tables.length === 0) return { kind: 'none' };
  // Hint: as readHead reads it (offsets are never reused, so next_offset counts deleted events too).
  const max = columns.includes('offset') ? (selectValue<number | null>(db, 'SELECT MAX(offset) FROM events') ?? 0) : 0;
  const next = Number(meta('next_offset') ?? 1);
  return { kind: 'log', head: Math.max(max, next - 1), unfinishedMigration: meta(UNFINISHED_MIGRATION) ?? null };
}

/** `text` as one shell word (quoted when it holds anything a shell would read otherwise). */
export function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}

/** Where the new log of a migration from `legacyPath` is suggested to go: `pipeline.db` beside it. */
export function suggestedLogPath(legacyPath: string): string {
  return join(dirname(legacyPath), basename(legacyPath) === 'pipeline.db' ? 'pipeline-log.db' : 'pipeline.db');
}

/** `1 event`, `1,234 events`. */
export function eventCount(count: number): string {
  return `${count.toLocaleString('en-US')} event${count === 1 ? '' : 's'}`;
}

/** The tables of a foreign file, for a message: the first few, and how many more. */
export function tableList(tables: readonly string[]): string {
  const named = tables.slice(0, NAMED_TABLES).join(', ');
  return tables.length > NAMED_TABLES ? `${named} and ${tables.length - NAMED_TABLES} more` : named;
}

/**
 * Why the server must not open `path` as its log, or null: a `-wal` beside it that is another file's (see
 * foreignWalRefusal), the FastAPI service's events (how many, and the command that carries them over), or tables
 * that are neither a log's nor that service's. The file is not changed.
 */
export function foreignFileRefusal(path: string): string | null {
  // Hint: before the read-only look, which reads that WAL and rebuilds the -shm from it.
  const wal = foreignWalRefusal(path);
  if (wal !== null) return wal;
  const content = readLogFileContent(path);
  if (content.kind === 'legacy') {
    const to = suggestedLogPath(path);
    return (
      `it holds the FastAPI service's events (${eventCount(content.events)}), not ` +
      'a log of this server; the file was left untouched. Carry them over into a new log with ' +
      `\`npx event-pipeline migrate-legacy --from ${shellWord(path)} --to ${shellWord(to)}\`, then start with ` +
      `DATABASE_PATH=${shellWord(to)}`
    );
  }
  // Hint: a file in rollback mode (the FastAPI service's; a log of this server only when restored from a VACUUM INTO
  // copy) that the read-only look cannot read has a hot journal (a writer stopped mid-write, as a killed FastAPI
  // service leaves it) or is locked by a writer (one still running). Opening it read-write, as the log's open would,
  // rolled the journal back or waited out the lock, then switched the file to WAL and added tables to it.
  if (content.kind === 'unreadable' && rollbackModeFile(path)) return blockedLook(path, content);
  if (content.kind === 'log' && content.unfinishedMigration !== null)
    return (
      `it holds a migration from ${content.unfinishedMigration} that did not finish (${eventCount(content.head)} ` +
      'copied before it stopped): delete it, with its -wal, -shm and .index files, and run migrate-legacy again'
    );
  if (content.kind === 'newer')
    return (
      `it is a log of a later build of the event pipeline (log format ${content.format}; this build reads format ` +
      `${LOG_FORMAT}), which this build would misread; the file was left untouched. Run that build (or a newer one) on it`
    );
  if (content.kind === 'foreign')
    return (
      `it is an SQLite database of something else (tables: ${tableList(content.tables)}), neither a log of this ` +
      "server nor the FastAPI service's events; the file was left untouched. Point DATABASE_PATH at a log or a new file"
    );
  return null;
}

/** True for a regular SQLite file in rollback-journal mode; false for anything else, a directory included. */
function rollbackModeFile(path: string): boolean {
  try {
    return statSync(path).isFile() && isSqliteFile(path) && inRollbackMode(path);
  } catch {
    return false;
  }
}

/**
 * Why a read-only look could not read the rollback-mode file `path`, and what to do, or null when it is not one: a
 * journal cut short, or another program's lock. Hint: migrate-legacy said only `attempt to write a readonly database`.
 */
export function blockedFileWhy(path: string, content: { readonly reason: string }): string | null {
  return rollbackModeFile(path) ? journalWhy(path, content) : null;
}

function journalWhy(path: string, content: { readonly reason: string }): string {
  const journal = statSync(`${path}-journal`, { throwIfNoEntry: false });
  return journal !== undefined && journal.size > 0
    ? `${path}-journal holds a write that was cut short (a crash of the program writing it) or is under way`
    : `another program holds it (${content.reason}): is the FastAPI service still running?`;
}

/** What rolls back a journal left by a crash, for the refusals that name one. */
export const rollBackAdvice = (path: string) =>
  'Stop any program using it; a journal left by a crash is rolled back by opening the file once with that program or ' +
  `\`sqlite3 ${shellWord(path)} 'PRAGMA quick_check'\``;

/** The refusal for a rollback-mode file the read-only look could not read (see foreignFileRefusal). */
function blockedLook(path: string, content: { readonly reason: string }): string {
  const why = journalWhy(path, content);
  return (
    `it cannot be read without changing it: ${why}. The server opens no file it could not first look at read-only ` +
    `(the FastAPI service's file must not be changed), so it was left untouched. ${rollBackAdvice(path)}; then start again`
  );
}

/** Throw a LogOpenError when `path` holds something that is not a log (foreignFileRefusal), before anything is written. */
export function refuseForeignFile(path: string): void {
  const refusal = foreignFileRefusal(path);
  if (refusal !== null) throw new LogOpenError(path, refusal);
}
