import type Database from 'better-sqlite3';
import { type LegacyRow, legacyMicros } from '../protocol/legacyEvent.js';
import { openReadOnly, type ReadOnlyDatabase } from './readOnlyDatabase.js';
import { selectValue } from './sqlRows.js';

/**
 * The FastAPI service's events, read from its database file through a read-only connection (nothing is written to it
 * or left beside it: see openReadOnly).
 */
export class LegacyEvents {
  private readonly file: ReadOnlyDatabase;
  private readonly db: Database.Database;

  constructor(path: string) {
    this.file = openReadOnly(path);
    this.db = this.file.db;
    // Hint: a function of this connection only; registering it writes nothing to the file.
    this.db.function('legacy_micros', { deterministic: true }, (timestamp: unknown) => legacyMicros(timestamp));
  }

  /** How many rows its `events` table holds. */
  count(): number {
    return selectValue<number>(this.db, 'SELECT COUNT(*) FROM events') ?? 0;
  }

  /**
   * Every row, oldest first: by time to the microsecond, rows at the same time in the order they were inserted (rowid).
   * Rows whose timestamp is not a time come first. Hint: SQLite sorts in its temp files, so memory stays bounded.
   */
  rows(): IterableIterator<LegacyRow> {
    return this.db
      .prepare<[], LegacyRow>(
        'SELECT rowid AS rowid, id, event_type, source, session_id, user_id, payload, timestamp FROM events ' +
          'ORDER BY legacy_micros(timestamp), rowid',
      )
      .iterate();
  }

  close(): void {
    this.file.close();
  }
}
