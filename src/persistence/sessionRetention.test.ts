import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { EventInput } from '../protocol/eventInput.js';
import { SqliteEventLog } from './sqliteEventLog.js';

const dirs: string[] = [];
const logs: SqliteEventLog[] = [];
afterEach(() => {
  for (const log of logs.splice(0)) log.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const input = (session_id: string): EventInput => ({
  id: null,
  event_type: 'answer_submitted',
  source: 'quiz',
  session_id,
  user_id: null,
  payloadJson: '{}',
});

/** A log at `path` (a new temp one by default) whose offset o is stamped o × 1,000 ms. */
function openLog(path = join(mkdtempSync(join(tmpdir(), 'session-retention-')), 'events.db')): SqliteEventLog {
  dirs.push(join(path, '..'));
  let now = 0;
  let ids = 0;
  const log = new SqliteEventLog({
    path,
    now: () => (now += 1_000),
    newId: () => `gen-${++ids}`,
    newEpoch: () => 'e',
    indexer: 'inline',
  });
  logs.push(log);
  return log;
}

/** Append one record per session id, in order, and save each session's row at its last record, with a snapshot. */
function appendAndSave(log: SqliteEventLog, sessions: readonly string[]): void {
  for (const sessionId of sessions) log.appendGroups([[input(sessionId)]]);
  const last = new Map(sessions.map((sessionId, i) => [sessionId, i + 1]));
  const rows = [...last].map(([session_id, offset]) => ({ session_id, status: 'active', offset }));
  const snapshots = [...last.keys()].map((session_id) => ({ session_id, snapshot: `{"of":"${session_id}"}` }));
  log.saveSessionStatuses(rows, sessions.length, snapshots);
}

const tableOf = (path: string, sql: string): unknown[] => {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare(sql).raw().all();
  } finally {
    db.close();
  }
};

/** Change the file as another program would (here: an older version of the server). */
const writeTo = (path: string, sql: string): void => {
  const db = new Database(path);
  try {
    db.exec(sql);
  } finally {
    db.close();
  }
};

describe('retention and the session projections', () => {
  it('drops the rows and snapshots of sessions it leaves without records, queues the touched ones left, keeps the rest', () => {
    const log = openLog();
    // gone: offsets 1-2; kept: 3 and 6 (touched, records left); fresh: 5 only (untouched).
    appendAndSave(log, ['gone', 'gone', 'kept', 'other', 'fresh', 'kept']);
    expect(log.deleteBefore(4_500)).toBe(4);
    expect(log.listSessions(undefined, 10)).toEqual([
      { session_id: 'kept', status: 'active', offset: 6 },
      { session_id: 'fresh', status: 'active', offset: 5 },
    ]);
    expect(log.sessionsToRefold()).toEqual(['kept']);
    expect(log.savedSession('gone')).toBeNull();
    const path = join(dirs[0]!, 'events.db');
    expect(tableOf(path, 'SELECT session_id FROM session_snapshot ORDER BY session_id')).toEqual([['fresh'], ['kept']]);
  });

  it('takes refolded rows and sessions found gone off the queue in one save', () => {
    const log = openLog();
    appendAndSave(log, ['a', 'b', 'a', 'b']);
    log.deleteBefore(2_500);
    expect(log.sessionsToRefold().sort()).toEqual(['a', 'b']);
    log.saveRefolded([{ session_id: 'a', status: 'ended', offset: 3 }], ['b']);
    expect(log.sessionsToRefold()).toEqual([]);
    expect(log.listSessions(undefined, 10)).toEqual([{ session_id: 'a', status: 'ended', offset: 3 }]);
    expect(log.savedSession('b')).toBeNull();
  });

  it('folds rows saved under the older rule again at open: kept while nothing was deleted, dropped after', () => {
    for (const deleted of [false, true]) {
      const first = openLog();
      const path = join(dirs.at(-1)!, 'events.db');
      appendAndSave(first, ['a', 'b', 'a']);
      if (deleted) first.deleteBefore(1_500);
      first.close();
      // The older rule: its high-water under another key, none under this version's.
      writeTo(path, "DELETE FROM meta WHERE key = 'session_rows_upto'");
      const reopened = openLog(path);
      expect(reopened.sessionsFoldedUpTo()).toBe(0);
      expect(reopened.listSessions(undefined, 10).map((row) => row.session_id)).toEqual(deleted ? [] : ['a', 'b']);
      expect(tableOf(path, 'SELECT COUNT(*) FROM session_snapshot')).toEqual([[deleted ? 0 : 2]]);
      reopened.saveSessionStatuses([], 3);
      reopened.close();
      // Migrated once: the next open keeps what the catch-up saved.
      expect(openLog(path).sessionsFoldedUpTo()).toBe(3);
    }
  });

  it('folds every row again at open after an older version deleted events behind its back (a downgrade)', () => {
    const first = openLog();
    const path = join(dirs.at(-1)!, 'events.db');
    appendAndSave(first, ['a', 'b', 'a', 'c']);
    first.deleteBefore(1_500);
    first.close();
    // Reopened by this version: nothing moved, nothing refolded.
    const same = openLog(path);
    expect(same.sessionsFoldedUpTo()).toBe(4);
    same.close();
    // An older version deletes offsets 2 and 3 and leaves every row as it was.
    writeTo(path, 'DELETE FROM events WHERE offset < 4');
    const reopened = openLog(path);
    expect(reopened.sessionsFoldedUpTo()).toBe(0);
    expect(reopened.listSessions(undefined, 10)).toEqual([]);
    expect(tableOf(path, 'SELECT COUNT(*) FROM session_snapshot')).toEqual([[0]]);
  });
});
