import Database from 'better-sqlite3';
import { expect } from 'vitest';
import { createActor } from 'xstate';
import { sessionMachine } from '../../src/actors/sessionMachine.js';
import type { EventLog } from '../../src/persistence/eventLog.js';
import type { EventInput } from '../../src/protocol/eventInput.js';
import type { StoredEvent } from '../../src/protocol/eventRecord.js';
import type { EventType } from '../../src/protocol/eventTypes.js';

type Row = {
  offset: number;
  id: string;
  event_type: EventType;
  source: string;
  session_id: string | null;
  user_id: string | null;
  payload: string;
  ts: number;
};

/** Every event in the log file, read by a naive full scan over a separate read-only connection. */
export function scanLog(dbPath: string): StoredEvent[] {
  const db = new Database(dbPath, { readonly: true });
  try {
    const rows = db
      .prepare('SELECT offset, id, event_type, source, session_id, user_id, payload, ts FROM events ORDER BY offset')
      .all() as Row[];
    return rows.map((r) => ({
      offset: r.offset,
      id: r.id,
      event_type: r.event_type,
      source: r.source,
      session_id: r.session_id,
      user_id: r.user_id,
      payloadJson: r.payload,
      ts: r.ts,
    }));
  } finally {
    db.close();
  }
}

const ids = (events: readonly StoredEvent[]) => events.map((e) => `${e.offset}:${e.id}`);

/**
 * Keyed reads (asc and desc, small limits that cut across chunks and tail), by-id reads and by-type stats of `log`
 * equal a naive scan of its file.
 */
export function expectAgreesWithScan(log: EventLog, dbPath: string, now: number): void {
  expectAgreesWith(log, scanLog(dbPath), now);
}

/** expectAgreesWithScan against events scanned earlier (when the file cannot be opened a second time). */
export function expectAgreesWith(log: EventLog, all: readonly StoredEvent[], now: number): void {
  expect(log.headOffset()).toBe(all.length === 0 ? log.headOffset() : all[all.length - 1]!.offset);
  const keys = (pick: (e: StoredEvent) => string | null) => [
    ...new Set(all.map(pick).filter((k): k is string => k !== null)),
  ];
  for (const [field, values] of [
    ['session_id', keys((e) => e.session_id)],
    ['user_id', keys((e) => e.user_id)],
  ] as const) {
    for (const value of [...values, 'no-such-key']) {
      const expected = all.filter((e) => (field === 'session_id' ? e.session_id : e.user_id) === value);
      const filter = field === 'session_id' ? { session_id: value } : { user_id: value };
      expect(ids(log.query({ filter, order: 'asc', limit: 100_000 })), `${field}=${value} asc`).toEqual(ids(expected));
      expect(ids(log.query({ filter, order: 'desc', limit: 7 })), `${field}=${value} desc`).toEqual(
        ids([...expected].reverse().slice(0, 7)),
      );
      expect(ids(log.readFrom(0, filter, 100_000)), `${field}=${value} readFrom`).toEqual(ids(expected));
    }
  }
  for (const event of all) expect(log.getById(event.id), `getById ${event.id}`).toEqual(event);
  const byType = new Map<string, { count: number; last_seen: number }>();
  for (const e of all) {
    const stat = byType.get(e.event_type) ?? { count: 0, last_seen: 0 };
    byType.set(e.event_type, { count: stat.count + 1, last_seen: Math.max(stat.last_seen, e.ts) });
  }
  const expectedTypes = [...byType]
    .map(([event_type, s]) => ({ event_type, ...s }))
    .sort((a, b) => a.event_type.localeCompare(b.event_type));
  const actualTypes = [...log.stats(now).by_type].sort((a, b) => a.event_type.localeCompare(b.event_type));
  expect(actualTypes).toEqual(expectedTypes);
  expect(log.stats(now).total_events).toBe(all.length);
}

/** `count` events spread over a few sessions and users; `tag` keeps ids and keys distinct between runs. */
export function someEvents(count: number, tag: string, start = 0): EventInput[] {
  const types: EventType[] = [
    'session_created',
    'quiz_started',
    'answer_submitted',
    'answer_submitted',
    'quiz_completed',
  ];
  return Array.from({ length: count }, (_, i) => {
    const n = start + i;
    return {
      id: n % 3 === 0 ? `${tag}-p${n}` : null,
      event_type: types[n % types.length]!,
      source: 'oracle',
      session_id: n % 11 === 10 ? null : `${tag}-s${n % 5}`,
      user_id: n % 7 === 6 ? null : `${tag}-u${n % 4}`,
      payloadJson: `{"n":${n}}`,
    };
  });
}

/** Each session's status, folded naively from `events` (all of the log) with the session machine itself. */
export function foldStatuses(events: readonly StoredEvent[]): Map<string, string> {
  const bySession = new Map<string, StoredEvent[]>();
  for (const e of events)
    if (e.session_id !== null)
      (bySession.get(e.session_id) ?? bySession.set(e.session_id, []).get(e.session_id)!).push(e);
  const out = new Map<string, string>();
  for (const [sessionId, records] of bySession) {
    const actor = createActor(sessionMachine, { input: { session_id: sessionId } });
    actor.start();
    actor.send({ type: 'session.records', records });
    out.set(sessionId, String(actor.getSnapshot().value));
    actor.stop();
  }
  return out;
}
