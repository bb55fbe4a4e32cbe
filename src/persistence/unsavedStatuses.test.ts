import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SessionStatusRow } from './eventLog.js';
import { UnsavedStatuses } from './unsavedStatuses.js';

const STATUSES = ['created', 'in_progress', 'completed'];

/** What happens to one session's row: a save that lands, fails, or is queued (landing or not); or a refold's drop. */
const step = fc.record({
  session: fc.integer({ min: 0, max: 5 }),
  status: fc.constantFrom(...STATUSES),
  kind: fc.constantFrom('saved', 'failed', 'queued', 'queuedLost', 'goneSaved', 'goneFailed'),
});

/** A table read as SessionStatusStore reads it: one status (or all), newest first, up to a bound. */
const reader = (table: Map<string, SessionStatusRow>, status: string | undefined) => (bound: number) =>
  [...table.values()]
    .filter((row) => status === undefined || row.status === status)
    .sort((a, b) => b.offset - a.offset)
    .slice(0, bound);

describe('UnsavedStatuses', () => {
  it('lists what every fold last said (newest first, by status, bounded), whichever saves landed', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), fc.integer({ min: 1, max: 8 }), (steps, limit) => {
        const table = new Map<string, SessionStatusRow>();
        const truth = new Map<string, SessionStatusRow>();
        const unsaved = new UnsavedStatuses();
        let offset = 0;
        for (const { session, status, kind } of steps) {
          const sessionId = `s${session}`;
          const row = { session_id: sessionId, status, offset: ++offset };
          if (kind === 'goneSaved' || kind === 'goneFailed') {
            truth.delete(sessionId);
            if (kind === 'goneSaved') table.delete(sessionId);
            (kind === 'goneSaved' ? unsaved.saved : unsaved.failed).call(unsaved, [], [sessionId]);
            continue;
          }
          // Hint: a queued save lost on the writer thread is covered only for a session held here already.
          const lands =
            kind === 'saved' || kind === 'queued' || (kind === 'queuedLost' && !unsaved.ids().includes(sessionId));
          truth.set(sessionId, row);
          if (lands) table.set(sessionId, row);
          if (kind === 'saved') unsaved.saved([row]);
          else if (kind === 'failed') unsaved.failed([row]);
          else unsaved.queued([row]);
        }
        for (const status of [undefined, ...STATUSES])
          expect(unsaved.list(status, limit, reader(table, status))).toEqual(reader(truth, status)(limit));
      }),
      { numRuns: 300 },
    );
  });

  it('reads the table once, to the bound asked, when nothing is held', () => {
    const unsaved = new UnsavedStatuses();
    const bounds: number[] = [];
    const row = { session_id: 'a', status: 'created', offset: 1 };
    const read = (bound: number) => {
      bounds.push(bound);
      return [row];
    };
    expect(unsaved.list(undefined, 5, read)).toEqual([row]);
    unsaved.failed([{ ...row, offset: 2 }]);
    expect(unsaved.list(undefined, 5, read)).toEqual([{ ...row, offset: 2 }]);
    expect(bounds).toEqual([5, 6]);
  });
});
