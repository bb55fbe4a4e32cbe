import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventType } from '../protocol/eventTypes.js';
import { firstAlteredRecord } from './checksumScan.js';
import { LogWriteError } from './eventLog.js';
import { SqliteImportLog, type StampedEvent } from './importLog.js';
import { SqliteEventLog } from './sqliteEventLog.js';

const T0 = Date.parse('2026-01-05T10:00:00.000Z');

function stamped(n: number, ts: number, event_type: EventType = 'answer_submitted'): StampedEvent {
  const input = { id: `evt_legacy${n}`, event_type, source: 'quiz_engine', session_id: 's1', user_id: null };
  return { input: { ...input, payloadJson: `{"n":${n}}` }, ts };
}

describe('SqliteImportLog', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rep-import-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const open = (Log: typeof SqliteEventLog = SqliteImportLog) =>
    new Log({ path: join(dir, 'events.db'), newId: (o) => `gen-${o}`, newEpoch: () => 'e', indexer: 'inline' });

  it('appends records with their own ids and times, offsets from the head, as the log itself would find them', () => {
    const log = open() as SqliteImportLog;
    const records = log.appendStamped([stamped(1, T0), stamped(2, T0), stamped(3, T0 + 5, 'quiz_completed')]);
    expect(records.map((r) => [r.offset, r.id, r.ts])).toEqual([
      [1, 'evt_legacy1', T0],
      [2, 'evt_legacy2', T0],
      [3, 'evt_legacy3', T0 + 5],
    ]);
    log.appendStamped([stamped(4, T0 + 5)]);
    log.indexTail();
    log.close();
    const reopened = open(SqliteEventLog);
    try {
      expect(reopened.headOffset()).toBe(4);
      expect(reopened.getById('evt_legacy3')).toMatchObject({ offset: 3, ts: T0 + 5, payloadJson: '{"n":3}' });
      expect(reopened.readFrom(1, { session_id: 's1' }, 10).map((r) => r.offset)).toEqual([1, 2, 3, 4]);
      const byType = reopened.stats(T0).by_type;
      expect(byType).toEqual(
        expect.arrayContaining([
          { event_type: 'answer_submitted', count: 3, last_seen: T0 + 5 },
          { event_type: 'quiz_completed', count: 1, last_seen: T0 + 5 },
        ]),
      );
    } finally {
      reopened.close();
    }
    // Each row carries its checksum, as the log's own appends do, and it matches.
    const db = new Database(join(dir, 'events.db'), { readonly: true });
    try {
      expect(db.prepare('SELECT COUNT(*) FROM events WHERE crc IS NULL').pluck().get()).toBe(0);
      expect(firstAlteredRecord(db)).toBeNull();
    } finally {
      db.close();
    }
  });

  it('refuses a time older than the newest, appending nothing of that batch', () => {
    const log = open() as SqliteImportLog;
    try {
      log.appendStamped([stamped(1, T0 + 10)]);
      expect(() => log.appendStamped([stamped(2, T0 + 10), stamped(3, T0)])).toThrow(LogWriteError);
      expect(log.headOffset()).toBe(1);
      expect(log.appendStamped([stamped(2, T0 + 11)])[0]?.offset).toBe(2);
    } finally {
      log.close();
    }
  });
});
