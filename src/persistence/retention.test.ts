import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { EventInput } from '../protocol/eventInput.js';
import { RetentionStepError, storeStep } from './retention.js';
import { SqliteEventLog } from './sqliteEventLog.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function input(id: string | null): EventInput {
  return { id, event_type: 'answer_submitted', source: 'quiz', session_id: null, user_id: null, payloadJson: '{}' };
}

describe('deleteBelow', () => {
  it('leaves exactly the producer ids at or above the boundary, by key probes or by a scan', () => {
    // Events 1..n, most with producer ids; deleting a few of them probes producer_ids by key, more scans it.
    const producer = fc.oneof(fc.constant(true), fc.constant(true), fc.constant(true), fc.constant(false));
    const plan = fc.array(producer, { minLength: 80, maxLength: 160 }).chain((producers) =>
      fc.record({
        producers: fc.constant(producers),
        // Hint: deleting 1-3 events of a log holding 60 or more producer ids probes (ROWS_PER_PROBE 16), the rest
        // mostly scan.
        boundary: fc.oneof(fc.integer({ min: 2, max: 4 }), fc.integer({ min: 1, max: producers.length + 1 })),
      }),
    );
    fc.assert(
      fc.property(plan, ({ producers, boundary }) => {
        const dir = mkdtempSync(join(tmpdir(), 'retention-'));
        dirs.push(dir);
        const path = join(dir, 'events.db');
        let ids = 0;
        let now = 1_000;
        const log = new SqliteEventLog({ path, newId: () => `gen-${++ids}`, newEpoch: () => 'e', now: () => now++ });
        try {
          producers.forEach((producer, n) => {
            log.appendGroups([[input(producer ? `p-${n}` : null)]]);
          });
          // Offset o was stamped at 1,000 + o - 1: before = that stamp deletes every offset below o.
          log.deleteBefore(1_000 + boundary - 1);
          const db = new Database(path, { readonly: true });
          try {
            const kept = db.prepare('SELECT k, o FROM producer_ids ORDER BY o').raw().all();
            const expected = producers.flatMap((producer, n) =>
              producer && n + 1 >= boundary ? [[`p-${n}`, n + 1]] : [],
            );
            expect(kept).toEqual(expected);
          } finally {
            db.close();
          }
          // A deleted producer id is a new event again; a kept one is still a duplicate.
          const before = log.stats(0).head_offset;
          const resent = producers.map((producer, n) => (producer ? `p-${n}` : null)).filter((id) => id !== null);
          for (const id of resent) log.appendGroups([[input(id)]]);
          const again = resent.filter((id) => Number(id.slice(2)) + 1 < boundary).length;
          expect(log.stats(0).head_offset).toBe(before + again);
        } finally {
          log.close();
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('a producer id freed by retention, on a log whose tail was rebuilt at open', () => {
  it('is found again and deduplicated once it is published anew', () => {
    // What a kill -9 (or a lost index) leaves: rows no index chunk covers, read back into the tail at the next open.
    const dir = mkdtempSync(join(tmpdir(), 'retention-'));
    dirs.push(dir);
    const path = join(dir, 'events.db');
    let now = 1_000;
    const options = { path, newId: () => `gen-${now}`, newEpoch: () => 'e', now: () => now++ };
    const first = new SqliteEventLog(options);
    first.appendGroups([[input('X')]]);
    first.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}.index${suffix}`, { force: true });
    const log = new SqliteEventLog(options);
    try {
      expect(log.deleteBefore(undefined)).toBe(1);
      const again = { ...input('X'), payloadJson: '{"n":2}' };
      const [stored] = log.appendGroups([[again]]);
      expect(stored).toMatchObject({ ok: true, appended: [{ id: 'X', offset: 2 }] });
      expect(log.getById('X')?.offset).toBe(2);
      // Before the fix the tail's stale entry for X hid it: other content under X was stored a second time.
      expect(log.appendGroups([[{ ...again, payloadJson: '{"n":3}' }]])).toEqual([
        { ok: false, conflict: { index: 0, id: 'X' } },
      ]);
      expect(log.stats(0).total_events).toBe(1);
    } finally {
      log.close();
    }
  });
});

describe('storeStep', () => {
  it("names a store's refusal as a RetentionStepError, and lets a bug through as it is", () => {
    const full = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    const enospc = Object.assign(new Error('no space left'), { code: 'ENOSPC' });
    for (const error of [full, enospc])
      expect(() =>
        storeStep(() => {
          throw error;
        }),
      ).toThrow(new RetentionStepError('the disk is full', { cause: error }));
    // Hint (review): a TypeError was answered as a retryable "storage unavailable" and retried every second for good.
    const bug = new TypeError("Cannot read properties of undefined (reading 'x')");
    expect(() =>
      storeStep(() => {
        throw bug;
      }),
    ).toThrow(bug);
    expect(storeStep(() => 7)).toBe(7);
  });
});
