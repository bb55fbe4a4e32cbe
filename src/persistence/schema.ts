/**
 * The size a WAL file is cut back to when SQLite next restarts it (journal_size_limit, set on every connection that
 * writes the log or the index). Hint: SQLite reuses a WAL file from its start and never shrinks it by itself, so one
 * large transaction (a retention delete of 400,000 events wrote 108 MB) left the file that size until a restart.
 * Above the ~16 MiB that normal running reaches, so steady commits never pay for regrowing it.
 */
export const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * The log's tables. `events` is a bare INTEGER PRIMARY KEY append (the fast path); `producer_ids` makes producer
 * ids idempotent; `crc` is each record's checksum (recordChecksum.ts; NULL in rows written before it). Secondary indexes live in a separate index database (see chunkIndexer.ts).
 */
export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
  offset INTEGER PRIMARY KEY,
  id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  source TEXT NOT NULL,
  session_id TEXT,
  user_id TEXT,
  payload TEXT NOT NULL,
  ts INTEGER NOT NULL,
  crc INTEGER
);
CREATE TABLE IF NOT EXISTS producer_ids (k TEXT PRIMARY KEY, o INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS type_stats (
  event_type TEXT PRIMARY KEY,
  count INTEGER NOT NULL,
  last_seen INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS session_status (
  session_id TEXT PRIMARY KEY,
  status TEXT NOT NULL,
  offset INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS session_status_by_status ON session_status (status, offset);
CREATE TABLE IF NOT EXISTS session_snapshot (
  session_id TEXT PRIMARY KEY,
  snapshot TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS session_refold (session_id TEXT PRIMARY KEY) WITHOUT ROWID;
`;
