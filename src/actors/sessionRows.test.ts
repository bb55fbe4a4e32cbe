import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SessionStatusRow } from '../persistence/eventLog.js';
import { SESSION_STATUSES, type SessionStatus } from '../protocol/sessionStatus.js';
import { newEntry, type SessionEntry } from './sessionEntry.js';
import { SessionRows } from './sessionRows.js';

type Step =
  | { readonly kind: 'fold'; readonly session: number; readonly records: number; readonly status: SessionStatus }
  | { readonly kind: 'take' };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('fold' as const),
      session: fc.nat(3),
      records: fc.nat(3),
      status: fc.constantFrom(...SESSION_STATUSES.slice(0, 2)),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'take' as const }) },
);

describe('SessionRows', () => {
  it('saves a row when the status moves, holds back offset-only moves until take, and caps the high-water below them', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        const rows = new SessionRows();
        const entries = Array.from({ length: 4 }, (_, i) => newEntry(`s${i}`, 0));
        // The projection as saved, and each session's records and status as folded.
        const saved = new Map<string, SessionStatusRow>();
        const folded = new Map<string, { status: SessionStatus; last: number }>();
        // Each session's first record folded after its saved row (none while the row shows all).
        const unshown = new Map<string, number>();
        const save = (written: readonly SessionStatusRow[]) => {
          for (const row of written) {
            saved.set(row.session_id, row);
            unshown.delete(row.session_id);
          }
        };
        let offset = 0;
        for (const s of steps) {
          if (s.kind === 'take') {
            save(rows.take());
            expect(rows.take()).toEqual([]);
            for (const [id, { status, last }] of folded)
              expect(saved.get(id)).toEqual({ session_id: id, status, offset: last });
            continue;
          }
          const entry: SessionEntry = entries[s.session]!;
          const before = folded.get(entry.sessionId);
          const first = offset + 1;
          offset += s.records;
          const last = s.records === 0 ? (before?.last ?? null) : offset;
          if (last === null) continue;
          const row = rows.settle(entry, s.status, first, last);
          folded.set(entry.sessionId, { status: s.status, last });
          // A status change (or a first fold) is saved at once; otherwise nothing is.
          const expectRow = before === undefined || before.status !== s.status;
          expect(row).toEqual(expectRow ? { session_id: entry.sessionId, status: s.status, offset: last } : null);
          if (row !== null) save([row]);
          else if (s.records > 0 && !unshown.has(entry.sessionId)) unshown.set(entry.sessionId, first);
          // Every record a saved row does not show yet lies above the cap.
          for (const firstUnshown of unshown.values())
            expect(rows.cap(Number.POSITIVE_INFINITY)).toBeLessThan(firstUnshown);
        }
      }),
    );
  });

  it('resumes a passivated session where it was, and drops what waits for retention to fold again', () => {
    const rows = new SessionRows();
    const entry = newEntry('s', 0);
    rows.resume(entry, 'in_progress', 7);
    expect(rows.settle(entry, 'in_progress', 8, 9)).toBeNull();
    expect(rows.cap(100)).toBe(7);
    expect(rows.drop()).toEqual(['s']);
    expect(rows.cap(100)).toBe(100);
    expect(rows.take()).toEqual([]);
  });
});
