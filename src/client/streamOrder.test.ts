import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matchesFilter } from '../protocol/eventFilter.js';
import { effectiveFilter, StreamOrder } from './streamOrder.js';
import type { EventRecord } from './types.js';

const record = (offset: number, session_id: string | null = 's1'): EventRecord => ({
  id: `e${offset}`,
  offset,
  event_type: 'quiz_started',
  source: 'quiz_engine',
  session_id,
  user_id: null,
  payload: {},
  timestamp: '2026-12-01T00:00:00.000Z',
});
const offsets = (records: readonly EventRecord[]) => records.map((r) => r.offset);

describe('StreamOrder', () => {
  it('admits records after the start in offset order', () => {
    const order = new StreamOrder(undefined);
    order.start(1);
    expect(order.admit([1, 2, 5].map((o) => record(o)))).toEqual({
      records: [1, 2, 5].map((o) => record(o)),
      notices: [],
      violation: null,
    });
    expect(order.checkpoint(9)).toBe(true);
    expect(order.checkpoint(7)).toBe(false); // behind: nothing to do
    expect(offsets(order.admit([record(10)]).records)).toEqual([10]);
  });

  it('stops at a record at or below a checkpoint the connection sent, naming it (the records before it are kept)', () => {
    const order = new StreamOrder(undefined);
    order.start(1);
    order.checkpoint(100);
    const admitted = order.admit([record(101), record(50), record(102)]);
    expect(offsets(admitted.records)).toEqual([101]);
    expect(admitted.violation).toBe(
      'record at offset 50 is not after offset 101 (a record): records must come in offset order',
    );
    const other = new StreamOrder(undefined);
    other.start(1);
    other.checkpoint(100);
    expect(other.admit([record(99)]).violation).toBe(
      'record at offset 99 is not after offset 100 (a checkpoint): records must come in offset order',
    );
  });

  it('stops at a record twice or out of order, and at records before the ack', () => {
    const order = new StreamOrder(undefined);
    expect(order.admit([record(1)])).toEqual({
      records: [],
      notices: [],
      violation: 'records before the subscribe ack',
    });
    expect(order.checkpoint(5)).toBe(false);
    order.start(1);
    const admitted = order.admit([1, 2, 2, 3].map((o) => record(o)));
    expect(offsets(admitted.records)).toEqual([1, 2]);
    expect(admitted.violation).toMatch(/^record at offset 2 is not after offset 2 \(a record\)/);
  });

  it('drops records below where the connection started (received already) with a notice, and goes on', () => {
    const order = new StreamOrder(undefined);
    order.start(5);
    const admitted = order.admit([4, 5, 6].map((o) => record(o)));
    expect(offsets(admitted.records)).toEqual([5, 6]);
    expect(admitted.violation).toBeNull();
    expect(admitted.notices).toEqual([
      'protocol error: the server sent again record(s) below where this connection asked to start (offsets 4): received already, not handed out again',
    ]);
  });

  it('keeps records that do not match the filters from the consumer, with a notice naming their offsets', () => {
    const order = new StreamOrder({ session_id: 's1', event_types: ['quiz_started'] });
    order.start(1);
    const admitted = order.admit([record(1), record(2, 'OTHER'), { ...record(3), event_type: 'timer_tick' }]);
    expect(offsets(admitted.records)).toEqual([1]);
    expect(admitted.notices).toEqual([
      `protocol error: the server sent record(s) that do not match this subscription's filters {"event_types":["quiz_started"],"session_id":"s1"} (offsets 2, 3): not handed out`,
    ]);
  });

  it('reads the filters as the server does: an empty or null field, or no event types, matches everything', () => {
    expect(effectiveFilter(undefined)).toEqual({});
    expect(effectiveFilter({ session_id: '', event_types: [], source: 'q' })).toEqual({ source: 'q' });
    expect(effectiveFilter(JSON.parse('{"user_id":null}'))).toEqual({});
  });

  it('admits, over any frames, only matching records above the start, each after every offset admitted before', () => {
    const frame = fc.array(
      fc
        .record({ offset: fc.integer({ min: 1, max: 60 }), mine: fc.boolean() })
        .map(({ offset, mine }) => record(offset, mine ? 's1' : 's2')),
      { maxLength: 8 },
    );
    const step = fc.oneof(frame, fc.integer({ min: 0, max: 60 }));
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.array(step, { maxLength: 12 }), (first, steps) => {
        const order = new StreamOrder({ session_id: 's1' });
        order.start(first);
        let high = first - 1;
        for (const s of steps) {
          if (typeof s === 'number') {
            if (order.checkpoint(s)) high = Math.max(high, s);
            continue;
          }
          const admitted = order.admit(s);
          for (const r of admitted.records) {
            expect(r.offset).toBeGreaterThan(high);
            expect(matchesFilter({ session_id: 's1' }, r)).toBe(true);
            high = r.offset;
          }
          if (admitted.violation !== null) break;
          // Every record of a frame that broke nothing is admitted, a foreign or a replayed one.
          const kept = s.filter((r) => r.offset >= first && r.session_id === 's1');
          expect(admitted.records).toEqual(kept);
        }
      }),
    );
  });
});
