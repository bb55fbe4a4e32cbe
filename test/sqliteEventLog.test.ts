import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LogWriteError } from '../src/persistence/eventLog.js';
import { SqliteEventLog } from '../src/persistence/sqliteEventLog.js';
import type { EventInput } from '../src/protocol/eventInput.js';
import { recordJson } from '../src/protocol/eventRecord.js';
import { offsetIds } from '../src/protocol/offsetIds.js';
import { prefixedIds } from '../src/protocol/prefixedIds.js';
import { runLogContract } from './logContract.case.js';
import { waitFor } from './support/pipelineRest.js';

runLogContract('SqliteEventLog (worker indexer)', (path, deps) => new SqliteEventLog({ path, ...deps }));
// Hint: the writer-thread configuration runs in test/sqliteEventLogWriterThread.test.ts, so the two halves of the
// contract (each thread start costs about 65 ms, hundreds of opens) can run on both vitest workers at once.

// Hint: a tiny chunk makes most reads cross the indexed chunks and the in-memory tail; inline builds are synchronous.
// This configuration also makes ids as the server does (offsetIds: each names its offset, so the id index holds none
// of them); the others keep the contract's `gen-N` ids, which only the id index finds.
runLogContract(
  'SqliteEventLog (inline indexer, indexChunk 3, offset ids)',
  (path, deps) => new SqliteEventLog({ path, ...deps, newId: offsetIds('evt_'), indexChunk: 3, indexer: 'inline' }),
);

describe('SqliteEventLog', () => {
  it('builds the same record JSON in SQL (replay path) as recordJson does', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sqlite-log-'));
    let clock = 0;
    let ids = 0;
    const log = new SqliteEventLog({
      path: join(dir, 'events.db'),
      now: () => clock,
      newId: () => `gen-${++ids}`,
      newEpoch: () => 'e',
      indexer: 'inline',
    });
    try {
      const text = fc.oneof(
        fc.string(),
        fc.string({ unit: 'binary' }),
        fc.constantFrom('"quoted"', 'back\\slash', 'tab\there', 'line\nbreak', '\u0001\u001f', 'ünï 😀'),
      );
      fc.assert(
        fc.property(
          fc.array(
            fc.record({
              ts: fc.integer({ min: 0, max: 4_102_444_800_000 }),
              id: fc.option(
                text.filter((t) => t.length > 0),
                { nil: null },
              ),
              session_id: fc.option(text, { nil: null }),
              user_id: fc.option(text, { nil: null }),
              payload: fc.dictionary(text, fc.jsonValue()),
            }),
            { minLength: 1, maxLength: 8 },
          ),
          (events) => {
            const from = log.headOffset() + 1;
            for (const e of events) {
              clock = Math.max(clock, e.ts);
              log.appendGroups([
                [
                  input({
                    id: e.id === null ? null : `${e.id}-${ids++}`,
                    session_id: e.session_id,
                    user_id: e.user_id,
                    payloadJson: JSON.stringify(e.payload),
                  }),
                ],
              ]);
            }
            const expected = log.readFrom(from, {}, 100).map(recordJson);
            const actual = log.readJsonFrom(from, {}, 100);
            expect(actual.records).toEqual(expected);
            expect(actual.lastOffset).toBe(log.headOffset());
          },
        ),
        { numRuns: 200 },
      );
    } finally {
      log.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('serves the same reads before and after the worker indexes chunks, and after a reopen', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sqlite-log-'));
    let ids = 0;
    const options = {
      path: join(dir, 'events.db'),
      now: () => 1000,
      newId: () => `gen-${++ids}`,
      newEpoch: () => 'e',
      indexChunk: 4,
    };
    let log = new SqliteEventLog(options);
    try {
      const groups = Array.from({ length: 10 }, (_, g) =>
        Array.from({ length: 3 }, (_, i) =>
          input({ session_id: `s${(g + i) % 3}`, user_id: `u${i}`, id: g === 2 && i === 0 ? 'producer-1' : null }),
        ),
      );
      for (const group of groups) log.appendGroups([group]);
      const snapshot = () => ({
        s0: log.readFrom(1, { session_id: 's0' }, 100).map((e) => e.offset),
        u1desc: log.query({ filter: { user_id: 'u1' }, limit: 5, order: 'desc' }).map((e) => e.offset),
        byId: [
          log.getById('gen-1')?.offset,
          log.getById('gen-20')?.offset,
          log.getById('producer-1')?.offset,
          log.getById('nope'),
        ],
      });
      const before = snapshot();
      expect(before.s0.length).toBe(10);
      expect(before.byId).toEqual([1, 21, 7, null]);
      // Wait until the worker has taken every sealed chunk, then the same reads must come from the index.
      // Hint: the worker thread may take seconds to boot on a loaded machine; the wait is bounded, not the outcome.
      await waitFor(() => log.unindexedCount() <= 4, 'the index worker to take every sealed chunk');
      expect(snapshot()).toEqual(before);
      log.close();
      log = new SqliteEventLog(options);
      expect(snapshot()).toEqual(before);
      // A lost index is rebuilt at open, inline, so only the open segment stays in memory.
      log.close();
      for (const suffix of ['.index', '.index-wal', '.index-shm']) rmSync(options.path + suffix, { force: true });
      log = new SqliteEventLog(options);
      expect(log.unindexedCount()).toBeLessThan(4);
      expect(snapshot()).toEqual(before);
    } finally {
      log.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('closes while its index worker is still starting, then reopens, indexes and serves the same reads', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sqlite-log-'));
    let ids = 0;
    const options = { path: join(dir, 'events.db'), now: () => 1000, newId: () => `gen-${++ids}`, indexChunk: 4 };
    let log = new SqliteEventLog({ ...options, newEpoch: () => 'e' });
    try {
      for (let g = 0; g < 10; g++) log.appendGroups([[input({ session_id: `s${g % 3}`, user_id: `u${g % 2}` })]]);
      const snapshot = () => ({
        s0: log.readFrom(1, { session_id: 's0' }, 100).map((e) => e.offset),
        u1: log.query({ filter: { user_id: 'u1' }, limit: 10, order: 'desc' }).map((e) => e.offset),
        byId: [log.getById('gen-1')?.offset, log.getById('gen-10')?.offset],
      });
      const before = snapshot();
      expect(before).toEqual({ s0: [1, 4, 7, 10], u1: [10, 8, 6, 4, 2], byId: [1, 10] });
      // Hint: sealing chunks started the worker; closing now abandons it while it boots (or waits, if it is past that).
      log.close();
      log = new SqliteEventLog({ ...options, newEpoch: () => 'other' });
      expect(log.epoch).toBe('e');
      expect(snapshot()).toEqual(before);
      // Hint: the worker thread may take seconds to boot on a loaded machine; the wait is bounded, not the outcome.
      await waitFor(() => log.unindexedCount() <= 4, 'the index worker to take every sealed chunk');
      expect(snapshot()).toEqual(before);
    } finally {
      log.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const input = (fields: Partial<EventInput> = {}): EventInput => ({
    id: null,
    event_type: 'quiz_started',
    source: 'svc',
    session_id: 's1',
    user_id: 'u1',
    payloadJson: '{}',
    ...fields,
  });

  // Hint: a trigger makes SQLite itself refuse the whole commit, as a failing constraint would, while every input
  // stays a valid EventInput.
  const REFUSED_SOURCE = 'refused';
  const refuseSource = (path: string): void => {
    const side = new Database(path);
    try {
      side.exec(
        `CREATE TRIGGER refuse_source BEFORE INSERT ON events WHEN NEW.source = '${REFUSED_SOURCE}'
         BEGIN SELECT RAISE(ABORT, 'refused by the test trigger'); END`,
      );
    } finally {
      side.close();
    }
  };

  it('keeps no id index entry for ids that name their offset or come from a producer; ids of an older log stay found', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sqlite-log-'));
    const path = join(dir, 'events.db');
    const base = { path, now: () => 1000, newEpoch: () => 'e', indexChunk: 5, indexer: 'inline' as const };
    // The SDK's ids have the server's shape, so each new one must be told apart from every id the log generated.
    const sdkIds = prefixedIds('evt_');
    const indexed = () => {
      const index = new Database(`${path}.index`, { readonly: true });
      try {
        return index.prepare('SELECT lo, ids FROM chunks ORDER BY lo').all();
      } finally {
        index.close();
      }
    };
    // An older server's ids (random, the same shape) are only found through the id index.
    let log = new SqliteEventLog({ ...base, newId: prefixedIds('evt_') });
    try {
      const old = log.appendGroups([Array.from({ length: 5 }, () => input())])[0]!;
      log.close();
      log = new SqliteEventLog({ ...base, newId: offsetIds('evt_') });
      const made = log.appendGroups([Array.from({ length: 5 }, () => input())])[0]!;
      const sent = log.appendGroups([Array.from({ length: 5 }, () => input({ id: sdkIds() }))])[0]!;
      log.indexTail();
      expect(indexed()).toEqual([
        { lo: 1, ids: 5 },
        { lo: 6, ids: 0 },
        { lo: 11, ids: 0 },
      ]);
      if (!old.ok || !made.ok || !sent.ok) throw new Error('appends failed');
      for (const record of [...old.records, ...made.records, ...sent.records]) {
        expect(log.getById(record.id)).toEqual(record);
        expect(log.appendGroups([[input({ id: record.id })]])).toEqual([{ ok: true, records: [record], appended: [] }]);
      }
      expect(log.getById(sdkIds())).toBeNull();
      expect(log.headOffset()).toBe(15);
    } finally {
      log.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rolls back a refused commit completely and reuses nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sqlite-log-'));
    let ids = 0;
    const log = new SqliteEventLog({
      path: join(dir, 'events.db'),
      now: () => 1000,
      newId: () => `gen-${++ids}`,
      newEpoch: () => 'e',
    });
    try {
      log.appendGroups([[input({ id: 'kept' })]]);
      refuseSource(join(dir, 'events.db'));
      const refused = input({ source: REFUSED_SOURCE });
      expect(() => log.appendGroups([[input({ id: 'lost', event_type: 'timer_tick' })], [refused]])).toThrow(
        LogWriteError,
      );
      expect(log.headOffset()).toBe(1);
      expect(log.getById('lost')).toBeNull();
      expect(log.readFrom(0, { session_id: 's1' }, 10).map((e) => e.id)).toEqual(['kept']);
      expect(log.stats(1000)).toMatchObject({
        total_events: 1,
        by_type: [{ event_type: 'quiz_started', count: 1, last_seen: 1000 }],
      });
      // Offset 2 goes to another event; the rolled-back id must not point at it.
      const [other] = log.appendGroups([[input({ id: 'other', session_id: 's2' })]]);
      expect(other?.ok && other.appended.map((e) => [e.offset, e.id])).toEqual([[2, 'other']]);
      expect(log.getById('lost')).toBeNull();
      expect(log.readFrom(0, { session_id: 's1' }, 10).map((e) => e.id)).toEqual(['kept']);
      const [retry] = log.appendGroups([[input({ id: 'lost', payloadJson: '{"changed":true}' })]]);
      expect(retry?.ok && retry.appended.map((e) => [e.offset, e.id])).toEqual([[3, 'lost']]);
    } finally {
      log.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports not writable after repeated failed commits, with the reason, and recovers on a good commit or probe', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sqlite-log-'));
    let ids = 0;
    let clock = 1000;
    const log = new SqliteEventLog({
      path: join(dir, 'events.db'),
      now: () => clock,
      monotonic: () => clock,
      newId: () => `gen-${++ids}`,
      newEpoch: () => 'e',
    });
    const refused = () => input({ source: REFUSED_SOURCE });
    try {
      refuseSource(join(dir, 'events.db'));
      expect(log.health()).toEqual({ writable: true, reason: null });
      for (let i = 0; i < 2; i++) expect(() => log.appendGroups([[refused()]])).toThrow(LogWriteError);
      // One or two failures may be a bad batch; not yet a storage problem.
      expect(log.health().writable).toBe(true);
      expect(() => log.appendGroups([[refused()]])).toThrow(LogWriteError);
      const down = log.health();
      expect(down.writable).toBe(false);
      expect(down.reason).toMatch(/last 3 commits failed: .*refused by the test trigger/);
      log.appendGroups([[input({ id: 'ok' })]]);
      expect(log.health()).toEqual({ writable: true, reason: null });
      for (let i = 0; i < 3; i++) expect(() => log.appendGroups([[refused()]])).toThrow(LogWriteError);
      expect(log.health().writable).toBe(false);
      // With no traffic, a write probe a second later finds the database writable again.
      clock += 1000;
      expect(log.health()).toEqual({ writable: true, reason: null });
      log.close();
      expect(log.health()).toEqual({ writable: false, reason: 'log is closed' });
    } finally {
      log.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('probes a second after a failure on the monotonic clock, whatever step the wall clock took meanwhile', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sqlite-log-'));
    let ids = 0;
    let wall = Date.UTC(2026, 0, 31, 12);
    let monotonic = 1000;
    const log = new SqliteEventLog({
      path: join(dir, 'events.db'),
      now: () => wall,
      monotonic: () => monotonic,
      newId: () => `gen-${++ids}`,
      newEpoch: () => 'e',
    });
    try {
      refuseSource(join(dir, 'events.db'));
      for (let i = 0; i < 3; i++)
        expect(() => log.appendGroups([[input({ source: REFUSED_SOURCE })]])).toThrow(LogWriteError);
      expect(log.health().writable).toBe(false);
      // The system clock steps back a day; a second passes. Before: no probe until the wall clock was a second past
      // the failure again, a day later.
      wall -= 86_400_000;
      monotonic += 1000;
      expect(log.health()).toEqual({ writable: true, reason: null });
      for (let i = 0; i < 3; i++)
        expect(() => log.appendGroups([[input({ source: REFUSED_SOURCE })]])).toThrow(LogWriteError);
      // A step forward is no second either: no probe before the monotonic second is over.
      wall += 2 * 86_400_000;
      expect(log.health().writable).toBe(false);
      monotonic += 1000;
      expect(log.health()).toEqual({ writable: true, reason: null });
    } finally {
      log.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('can be backed up while open (VACUUM INTO and the online backup API), and the copy opens as the same log', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sqlite-log-'));
    let ids = 0;
    const path = join(dir, 'events.db');
    const log = new SqliteEventLog({
      path,
      now: () => 1000,
      newId: () => `gen-${++ids}`,
      newEpoch: () => 'live',
      indexChunk: 10,
      indexer: 'inline',
    });
    try {
      for (let i = 0; i < 5; i++)
        log.appendGroups([Array.from({ length: 9 }, (_, j) => input({ id: `b${i}-${j}`, session_id: `s${j % 3}` }))]);
      const side = new Database(path, { readonly: true });
      side.exec(`VACUUM INTO '${join(dir, 'vacuum.db')}'`);
      await side.backup(join(dir, 'online.db'));
      side.close();
      log.appendGroups([[input({ id: 'after-backup' })]]);
      for (const copy of ['vacuum.db', 'online.db']) {
        const notices: string[] = [];
        const restored = new SqliteEventLog({
          path: join(dir, copy),
          now: () => 1000,
          newId: () => `gen-${++ids}`,
          newEpoch: () => 'other',
          onNotice: (m) => notices.push(m),
        });
        try {
          expect(restored.epoch).toBe('live');
          expect(restored.headOffset()).toBe(45);
          expect(restored.readFrom(0, { session_id: 's1' }, 100).map((e) => e.id)).toEqual(
            log
              .readFrom(0, { session_id: 's1' }, 100)
              .filter((e) => e.offset <= 45)
              .map((e) => e.id),
          );
          expect(restored.getById('after-backup')).toBeNull();
          expect(notices).toEqual([]);
        } finally {
          restored.close();
        }
      }
    } finally {
      log.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
