import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteEventLog } from '../src/persistence/sqliteEventLog.js';
import type { EventInput } from '../src/protocol/eventInput.js';
import { risingIds, SERVER_COUNTER_CHARS } from '../src/protocol/risingIds.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A step of the run: append a commit of that many events, or trim the log to keep the newest fraction of it. */
type Step = { readonly append: number } | { readonly keep: number };

const steps: fc.Arbitrary<Step[]> = fc.array(
  fc.oneof(
    { weight: 3, arbitrary: fc.record({ append: fc.integer({ min: 1, max: 6 }) }) },
    { weight: 1, arbitrary: fc.record({ keep: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  ),
  { minLength: 1, maxLength: 14 },
);

function input(n: number): EventInput {
  return {
    id: null,
    event_type: 'timer_tick',
    source: 'timer',
    session_id: `s${n % 2}`,
    user_id: null,
    payloadJson: '{}',
  };
}

/** The directory's rows and the id index's (chunk, id) pairs, read from the closed log's index database. */
function indexRows(path: string): { directory: unknown[]; entries: unknown[]; orphans: number } {
  const index = new Database(`${path}.index`, { readonly: true });
  try {
    return {
      directory: index.prepare('SELECT k, c FROM keys_id ORDER BY k, c').raw().all(),
      entries: index.prepare('SELECT DISTINCT k, c FROM ix_id ORDER BY k, c').raw().all(),
      orphans: index
        .prepare('SELECT count(*) FROM keys_id WHERE c NOT IN (SELECT c FROM chunks)')
        .pluck()
        .get() as number,
    };
  } finally {
    index.close();
  }
}

describe("the id index's directory (a cluster node's ids, which name no offset)", () => {
  it('finds every retained id and no deleted one, and holds an entry for exactly the chunks that hold each id', () => {
    fc.assert(
      fc.property(steps, fc.integer({ min: 1, max: 7 }), fc.integer({ min: 0, max: 255 }), (run, chunk, seed) => {
        const dir = mkdtempSync(join(tmpdir(), 'id-directory-'));
        dirs.push(dir);
        const path = join(dir, 'events.db');
        let clock = 1_000;
        const options = {
          path,
          indexer: 'inline' as const,
          indexChunk: chunk,
          newEpoch: () => 'e',
          now: () => clock,
          isGeneratedId: (id: string) => /^evt_[A-Za-z0-9_-]{21}$/.test(id),
          newId: risingIds('evt_', (count) => new Uint8Array(count).fill(seed), SERVER_COUNTER_CHARS),
        };
        let log = new SqliteEventLog(options);
        const made: { id: string; offset: number; at: number }[] = [];
        let first = 1;
        try {
          for (const step of run) {
            if ('append' in step) {
              clock += 1;
              const inputs = Array.from({ length: step.append }, (_, i) => input(made.length + i));
              log.appendGroups([inputs]);
              for (const event of log.readFrom(made.length + 1, {}, step.append))
                made.push({ id: event.id, offset: event.offset, at: clock });
            } else {
              const kept = made.filter((event) => event.offset >= first);
              const from = kept[Math.floor(step.keep * kept.length)];
              if (from === undefined) continue;
              log.deleteBefore(from.at);
              first = made.find((event) => event.at >= from.at)!.offset;
            }
          }
          log.indexTail();
          const findsRetained = () =>
            made.every(({ id, offset }) => (log.getById(id)?.offset ?? null) === (offset >= first ? offset : null));
          expect(findsRetained()).toBe(true);
          log.close();
          const rows = indexRows(path);
          expect(rows.directory).toEqual(rows.entries);
          expect(rows.orphans).toBe(0);
          // Rebuilt from the log alone, the index finds the same.
          for (const suffix of ['.index', '.index-wal', '.index-shm']) rmSync(path + suffix, { force: true });
          log = new SqliteEventLog(options);
          log.indexTail();
          expect(findsRetained()).toBe(true);
        } finally {
          log.close();
        }
      }),
      { numRuns: 40 },
    );
  });

  it('is added in place to an index of the layout before it (version 4), without a rebuild', () => {
    const dir = mkdtempSync(join(tmpdir(), 'id-directory-'));
    dirs.push(dir);
    const path = join(dir, 'events.db');
    const notices: string[] = [];
    const options = {
      path,
      indexer: 'inline' as const,
      indexChunk: 5,
      newEpoch: () => 'e',
      onNotice: (message: string) => notices.push(message),
      isGeneratedId: (id: string) => /^evt_[A-Za-z0-9_-]{21}$/.test(id),
      newId: risingIds('evt_', undefined, SERVER_COUNTER_CHARS),
    };
    let log = new SqliteEventLog(options);
    try {
      log.appendGroups([Array.from({ length: 23 }, (_, n) => input(n))]);
      log.indexTail();
      const events = log.readFrom(1, {}, 100);
      log.close();
      const expected = indexRows(path);
      expect(expected.entries.length).toBe(23);
      // What version 4 had: the same tables but keys_id.
      const index = new Database(`${path}.index`);
      index.exec('DROP TABLE keys_id');
      index.pragma('user_version = 4');
      const chunks = index.prepare('SELECT c, lo, hi FROM chunks ORDER BY c').raw().all();
      index.close();
      log = new SqliteEventLog(options);
      expect(notices).toEqual([]);
      expect(events.every((event) => log.getById(event.id)?.offset === event.offset)).toBe(true);
      log.close();
      expect(indexRows(path)).toEqual(expected);
      const migrated = new Database(`${path}.index`, { readonly: true });
      expect(migrated.pragma('user_version', { simple: true })).toBe(5);
      expect(migrated.prepare('SELECT c, lo, hi FROM chunks ORDER BY c').raw().all()).toEqual(chunks);
      migrated.close();
    } finally {
      log.close();
    }
  });
});
