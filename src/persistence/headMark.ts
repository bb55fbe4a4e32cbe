import type Database from 'better-sqlite3';

/** Key in the index's meta of the highest head the log reached (see headMarkSql). */
export const HEAD_MARK = 'log_head';

/**
 * SQL recording the log's committed head (`log`.meta next_offset - 1) in the index's meta (`ix`), never lowering it.
 * Hint: chunks cover offsets only in steps of the chunk size, so a backup restored a few thousand offsets back left
 * no trace; this mark, written at every close and every checkpoint of the log, is what shows the log went backwards.
 */
export function headMarkSql(ix: string, log: string): string {
  return (
    `INSERT INTO ${ix}.meta (key, value) SELECT '${HEAD_MARK}', CAST(value AS INTEGER) - 1 FROM ${log}.meta ` +
    "WHERE key = 'next_offset' ON CONFLICT (key) DO UPDATE SET value = excluded.value " +
    'WHERE CAST(value AS INTEGER) < CAST(excluded.value AS INTEGER)'
  );
}

/** Record the log's head in its attached index (`ix`), as at a clean close; a failure (disk full) is only a lost hint. */
export function markHead(db: Database.Database): void {
  try {
    db.exec(headMarkSql('ix', 'main'));
  } catch {
    // Hint: the mark only serves to notice a backup restored later (headMarkSql).
  }
}
