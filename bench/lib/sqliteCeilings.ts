import { join } from 'node:path';
import Database from 'better-sqlite3';
import { nanoid } from 'nanoid';
import type { EventInput } from '../../src/protocol/eventInput.js';

/** A measured rate. */
export interface Rate {
  readonly count: number;
  readonly elapsedMs: number;
  readonly perSecond: number;
}

export function rate(count: number, elapsedMs: number): Rate {
  return { count, elapsedMs, perSecond: elapsedMs > 0 ? (count * 1000) / elapsedMs : 0 };
}

/** Server-style event ids (`evt_` + nanoid), made before any timed region. */
export function makeIds(count: number): string[] {
  const ids: string[] = new Array<string>(count);
  for (let i = 0; i < count; i++) ids[i] = `evt_${nanoid()}`;
  return ids;
}

/**
 * SQLite's `synchronous` as the bench's servers run it: DURABILITY from the environment (the server's default, full,
 * when unset), so a ceiling pays the same fsync per commit as the server it is compared with.
 */
export const BENCH_SYNCHRONOUS = process.env.DURABILITY === 'normal' ? 'NORMAL' : 'FULL';

/**
 * The append ceiling: the same rows into a bare INTEGER PRIMARY KEY table with no secondary index, one transaction
 * per `batchSize` rows, WAL + BENCH_SYNCHRONOUS. Rows cycle through `inputs`; ids are made outside the timing.
 */
export function bareAppend(dir: string, inputs: readonly EventInput[], total: number, batchSize: number): Rate {
  const db = new Database(join(dir, `bare-append-${process.pid}-${Date.now()}.db`));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${BENCH_SYNCHRONOUS}`);
    db.exec(`CREATE TABLE events (
      offset INTEGER PRIMARY KEY, id TEXT NOT NULL, event_type TEXT NOT NULL, source TEXT NOT NULL,
      session_id TEXT, user_id TEXT, payload TEXT NOT NULL, ts INTEGER NOT NULL)`);
    const insert = db.prepare(
      'INSERT INTO events(offset, id, event_type, source, session_id, user_id, payload, ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const ids = makeIds(total);
    let offset = 1;
    const commit = db.transaction((count: number) => {
      const ts = Date.now();
      for (let i = 0; i < count; i++, offset++) {
        const input = inputs[(offset - 1) % inputs.length]!;
        insert.run(
          offset,
          ids[offset - 1]!,
          input.event_type,
          input.source,
          input.session_id,
          input.user_id,
          input.payloadJson,
          ts,
        );
      }
    });
    const started = performance.now();
    for (let done = 0; done < total; done += batchSize) commit(Math.min(batchSize, total - done));
    return rate(total, performance.now() - started);
  } finally {
    db.close();
  }
}

/** The read ceiling: every row of `events` by offset range in pages of `pageSize`, raw arrays, nothing else. */
export function rawScan(databasePath: string, pageSize = 1_000): Rate {
  const db = new Database(databasePath, { readonly: true });
  try {
    const bounds = db.prepare('SELECT MIN(offset) AS lo, MAX(offset) AS hi FROM events').get() as {
      lo: number | null;
      hi: number | null;
    };
    if (bounds.lo === null || bounds.hi === null) return rate(0, 0);
    const page = db
      .prepare(
        'SELECT offset, id, event_type, source, session_id, user_id, payload, ts FROM events WHERE offset BETWEEN ? AND ? ORDER BY offset LIMIT ?',
      )
      .raw(true);
    let rows = 0;
    const started = performance.now();
    for (let from = bounds.lo; from <= bounds.hi; from += pageSize)
      rows += (page.all(from, from + pageSize - 1, pageSize) as unknown[]).length;
    return rate(rows, performance.now() - started);
  } finally {
    db.close();
  }
}
