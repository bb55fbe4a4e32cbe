import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { EventInput } from '../protocol/eventInput.js';
import type { StoredEvent } from '../protocol/eventRecord.js';
import { LogAppender } from './logAppender.js';
import { type LogHead, LogMeta } from './logMeta.js';
import { RowWriter } from './rowWriter.js';
import { SCHEMA_SQL } from './schema.js';
import { selectValue } from './sqlRows.js';
import { TypeStats } from './typeStats.js';

function input(id: string | null, payloadJson = '{}'): EventInput {
  return { id, event_type: 'quiz_started', source: 'lms', session_id: null, user_id: null, payloadJson };
}

function setup(getById: (id: string) => StoredEvent | null = () => null) {
  const db = new Database(':memory:');
  db.exec(SCHEMA_SQL);
  const meta = new LogMeta(db);
  const head: LogHead = { next: 1, first: 1, lastTs: 50 };
  const seen: number[] = [];
  const rolledBack: number[] = [];
  let ids = 0;
  const appender = new LogAppender(db, head, new RowWriter(db, new TypeStats(db), meta), {
    now: () => 10,
    newId: () => `gen-${++ids}`,
    getById,
    appended: (event) => seen.push(event.offset),
    rolledBack: (offset) => rolledBack.push(offset),
  });
  return { db, head, appender, seen, rolledBack };
}

describe('LogAppender', () => {
  it('appends in offset order, never with a timestamp older than the last commit, and resolves repeats to one record', () => {
    const { db, head, appender, seen } = setup();
    const [first, second] = appender.commit([
      [input(null), input('p'), input('p', '{ }')],
      [input('p'), input(null)],
    ]);
    expect(first).toMatchObject({
      ok: true,
      appended: [
        { offset: 1, ts: 50 },
        { offset: 2, id: 'p' },
      ],
    });
    if (first?.ok !== true) throw new Error('the first group should commit');
    expect(first.records[2]).toBe(first.records[1]);
    expect(second).toMatchObject({ ok: true, records: [{ offset: 2 }, { offset: 3 }], appended: [{ offset: 3 }] });
    expect(seen).toEqual([1, 2, 3]);
    expect(head).toEqual({ next: 4, first: 1, lastTs: 50 });
    expect(selectValue<number>(db, 'SELECT COUNT(*) FROM events')).toBe(3);
    db.close();
  });

  it('rejects only the group whose id names other content', () => {
    const { appender, head } = setup();
    const outcomes = appender.commit([[input('p', '{"a":1}')], [input(null), input('p', '{"a":2}')], [input(null)]]);
    expect(outcomes.map((outcome) => outcome.ok)).toEqual([true, false, true]);
    expect(outcomes[1]).toEqual({ ok: false, conflict: { index: 1, id: 'p' } });
    expect(head.next).toBe(3);
  });

  it('rolls the head and the tail back when the transaction fails, leaving no row behind', () => {
    const { db, head, appender, rolledBack } = setup(() => {
      throw new Error('disk gone');
    });
    expect(() => appender.commit([[input(null), input(null)], [input('p')]])).toThrow('disk gone');
    expect(head).toEqual({ next: 1, first: 1, lastTs: 50 });
    expect(rolledBack).toEqual([1]);
    expect(selectValue<number>(db, 'SELECT COUNT(*) FROM events')).toBe(0);
    db.close();
  });
});
