import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteEventLog } from '../src/persistence/sqliteEventLog.js';
import type { EventInput } from '../src/protocol/eventInput.js';
import { idOffset, offsetIds } from '../src/protocol/offsetIds.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** How an event gets its id: the server's offset id, a generated id that names no offset, or a producer's id. */
type IdKind = 'offset' | 'plain' | 'producer';

function input(id: string | null, n: number): EventInput {
  return {
    id,
    event_type: 'answer_submitted',
    source: 'quiz-engine',
    session_id: `s${n % 3}`,
    user_id: `u${n % 5}`,
    payloadJson: '{}',
  };
}

describe('chunk builds skip the id scan only when no row needs the id index', () => {
  it('finds every id, and indexes exactly the ids nothing else finds, whatever the mix of id kinds', () => {
    const kinds = fc.array(fc.constantFrom<IdKind>('offset', 'offset', 'offset', 'plain', 'producer'), {
      minLength: 1,
      maxLength: 40,
    });
    fc.assert(
      fc.property(kinds, fc.integer({ min: 1, max: 9 }), (sequence, chunk) => {
        const dir = mkdtempSync(join(tmpdir(), 'id-skip-'));
        dirs.push(dir);
        const path = join(dir, 'events.db');
        const offsetId = offsetIds('evt_');
        // Hint: the log asks newId for an id-less input's offset; a queue says which kind the next one is.
        const generated: IdKind[] = sequence.filter((kind) => kind !== 'producer');
        let plain = 0;
        const options = {
          path,
          indexer: 'inline' as const,
          indexChunk: chunk,
          newEpoch: () => 'e',
          newId: (offset: number) => (generated.shift() === 'plain' ? `gen-${++plain}` : offsetId(offset)),
        };
        let log = new SqliteEventLog(options);
        try {
          sequence.forEach((kind, n) => {
            log.appendGroups([[input(kind === 'producer' ? `p-${n}` : null, n)]]);
          });
          log.indexTail();
          const ids = log.readFrom(1, {}, 1_000).map((event) => [event.id, event.offset] as const);
          expect(ids.length).toBe(sequence.length);
          const findsAll = () => ids.every(([id, offset]) => log.getById(id)?.offset === offset);
          expect(findsAll()).toBe(true);
          const needed = ids
            .filter(([id, offset]) => !id.startsWith('p-') && idOffset(id) !== offset)
            .map(([id]) => id)
            .sort();
          const indexedIds = () => {
            const index = new Database(`${path}.index`, { readonly: true });
            try {
              return index.prepare('SELECT k FROM ix_id ORDER BY k').pluck().all();
            } finally {
              index.close();
            }
          };
          log.close();
          expect(indexedIds()).toEqual(needed);
          // Without its index, a reopened log rebuilds the tail from the rows (producers' ids counted too): the same.
          for (const suffix of ['.index', '.index-wal', '.index-shm']) rmSync(path + suffix, { force: true });
          log = new SqliteEventLog(options);
          log.indexTail();
          expect(findsAll()).toBe(true);
          log.close();
          expect(indexedIds()).toEqual(needed);
        } finally {
          log.close();
        }
      }),
      { numRuns: 40 },
    );
  });
});
