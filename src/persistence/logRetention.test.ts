import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { EventInput } from '../protocol/eventInput.js';
import { EVENT_TYPES } from '../protocol/eventTypes.js';
import { SqliteEventLog } from './sqliteEventLog.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

type Planned = { readonly type: number; readonly session: number | null; readonly producer: boolean };

const planned: fc.Arbitrary<Planned> = fc.record({
  type: fc.nat(EVENT_TYPES.length - 1),
  session: fc.option(fc.nat(5)),
  producer: fc.boolean(),
});

/** A log of `events`, a ms apart, with a session row saved (at its newest record so far) every `every` events. */
function build(events: readonly Planned[], every: number): { log: SqliteEventLog; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'log-retention-'));
  dirs.push(dir);
  const path = join(dir, 'events.db');
  let now = 1_000;
  let ids = 0;
  const log = new SqliteEventLog({ path, newId: () => `gen-${++ids}`, newEpoch: () => 'e', now: () => now++ });
  const newest = new Map<string, number>();
  events.forEach((event, n) => {
    const session_id = event.session === null ? null : `s${event.session}`;
    const input: EventInput = {
      ...{ id: event.producer ? `p-${n}` : null, event_type: EVENT_TYPES[event.type]!, source: 'test' },
      ...{ session_id, user_id: null, payloadJson: '{}' },
    };
    log.appendGroups([[input]]);
    if (session_id !== null) newest.set(session_id, n + 1);
    if ((n + 1) % every === 0) {
      const rows = [...newest].map(([id, offset]) => ({ session_id: id, status: 'in_progress', offset }));
      log.saveSessionStatuses(rows, n + 1);
    }
  });
  return { log, path };
}

/** Everything retention changes, read from the file. */
function state(log: SqliteEventLog, path: string) {
  const stats = log.stats(0);
  const db = new Database(path, { readonly: true });
  try {
    const rows = (sql: string) => db.prepare(sql).raw().all();
    return {
      stats: { ...stats, router: undefined },
      producers: rows('SELECT k, o FROM producer_ids ORDER BY o'),
      events: rows('SELECT offset, id FROM events ORDER BY offset'),
      sessions: rows('SELECT session_id, status, offset FROM session_status ORDER BY session_id'),
      refold: rows('SELECT session_id FROM session_refold ORDER BY session_id'),
      meta: rows("SELECT key, value FROM meta WHERE key IN ('next_offset', 'session_rows_first') ORDER BY key"),
      byId: Array.from({ length: 3 }, (_, n) => log.getById(`p-${n}`)?.offset ?? null),
    };
  } finally {
    db.close();
  }
}

describe('retention in bounded steps', () => {
  it('leaves exactly the state one delete at the same boundary leaves (counts, first offset, ids, sessions)', () => {
    const plan = fc.record({
      events: fc.array(planned, { minLength: 1, maxLength: 60 }),
      cut: fc.nat(70),
      limit: fc.integer({ min: 1, max: 12 }),
      every: fc.integer({ min: 1, max: 10 }),
    });
    fc.assert(
      fc.property(plan, ({ events, cut, limit, every }) => {
        const once = build(events, every);
        const stepped = build(events, every);
        try {
          // Offset o was stamped at 1,000 + o - 1, so `before` 1,000 + cut keeps offsets above cut.
          const boundary = once.log.retentionBoundary(1_000 + cut);
          expect(stepped.log.retentionBoundary(1_000 + cut)).toBe(boundary);
          const deletedOnce = once.log.deleteStep(boundary, Number.POSITIVE_INFINITY);
          let deletedStepped = 0;
          let steps = 0;
          while (stepped.log.firstOffset() < boundary) {
            const first = stepped.log.firstOffset();
            deletedStepped += stepped.log.deleteStep(boundary, limit);
            expect(stepped.log.firstOffset()).toBe(Math.min(boundary, first + limit));
            steps++;
          }
          expect(steps).toBe(Math.ceil(Math.max(0, boundary - 1) / limit));
          expect(deletedStepped).toBe(deletedOnce);
          expect(state(stepped.log, stepped.path)).toEqual(state(once.log, once.path));
        } finally {
          once.log.close();
          stepped.log.close();
        }
      }),
      { numRuns: 60 },
    );
  });
});
