import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../protocol/eventRecord.js';
import type { EventType } from '../protocol/eventTypes.js';
import { SESSION_STATUSES, type SessionStatus } from '../protocol/sessionStatus.js';
import { ColdStatuses } from './coldStatuses.js';
import { LIFECYCLE } from './sessionMachine.js';
import { PendingRecords } from './sessionPending.js';

const TYPES: EventType[] = ['answer_submitted', 'timer_tick', ...(Object.keys(LIFECYCLE) as EventType[])];

function recordsOf(types: readonly EventType[], from: number): StoredEvent[] {
  return types.map((event_type, i) => ({
    offset: from + i,
    id: `e${from + i}`,
    event_type,
    source: 's',
    session_id: 'x',
    user_id: null,
    payloadJson: '{}',
    ts: from + i,
  }));
}

/** The status the session machine reaches: each lifecycle record's target, until ended. */
function modelStatus(base: SessionStatus, types: readonly EventType[]): SessionStatus {
  let status = base;
  for (const type of types) {
    const target = LIFECYCLE[type];
    if (target !== undefined && status !== 'ended') status = target;
  }
  return status;
}

describe('ColdStatuses', () => {
  it('folds waiting records onto a remembered session as the machine would, and remembers the last of them', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SESSION_STATUSES),
        fc.array(fc.constantFrom(...TYPES), { maxLength: 8 }),
        (base, types) => {
          const cold = new ColdStatuses(10);
          const pending = new PendingRecords();
          for (const record of recordsOf(types, 5)) pending.push(record);
          const folded = cold.fold('x', { status: base, offset: 4 }, pending);
          const status = modelStatus(base, types);
          const last = 5 + types.length - 1;
          expect(folded).toEqual(types.length === 0 ? null : { status, first: 5, last });
          expect(cold.get('x')).toEqual(types.length === 0 ? undefined : { status, offset: last });
        },
      ),
    );
  });

  it('remembers the most recently set sessions, at most its bound', () => {
    const cold = new ColdStatuses(8);
    for (let i = 0; i < 100; i++) cold.set(`s${i}`, { status: 'created', offset: i });
    const kept = Array.from({ length: 100 }, (_, i) => cold.get(`s${i}`)).filter((s) => s !== undefined).length;
    expect(kept).toBeGreaterThanOrEqual(4);
    expect(kept).toBeLessThanOrEqual(8);
    expect(cold.get('s99')).toEqual({ status: 'created', offset: 99 });
    cold.set('s99', { status: 'ended', offset: 100 });
    expect(cold.get('s99')).toEqual({ status: 'ended', offset: 100 });
    cold.delete('s99');
    expect(cold.get('s99')).toBeUndefined();
  });
});
