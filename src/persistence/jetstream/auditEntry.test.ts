import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../protocol/eventTypes.js';
import { auditEntry, type ReplicaSlot } from './auditEntry.js';
import { type EventMessage, encodeEvent } from './eventMessage.js';

const text = fc.string({ maxLength: 8 });
const message = fc.record({
  ts: fc.integer({ min: 0, max: 2 ** 40 }),
  producer: fc.boolean(),
  input: fc.record({
    id: fc.string({ minLength: 1, maxLength: 8 }),
    event_type: fc.constantFrom(...EVENT_TYPES),
    source: text,
    session_id: fc.option(text, { nil: null }),
    user_id: fc.option(text, { nil: null }),
    payloadJson: fc.jsonValue().map((value) => JSON.stringify(value)),
  }),
});
const bytes = (m: EventMessage) => new TextEncoder().encode(encodeEvent(m));
/** The slot applying `m` at `offset` makes, its time kept or moved later (a replica keeps time non-decreasing). */
const applied = (m: EventMessage, offset: number, later = 0): ReplicaSlot => ({
  kind: 'record',
  record: { ...m.input, offset, ts: m.ts + later },
});
const nowhere = () => null;

describe('auditEntry', () => {
  it('finds nothing where the replica holds what applying the message makes, its time kept or later', () => {
    fc.assert(
      fc.property(message, fc.nat(1_000), fc.nat(100), (m, seq, later) => {
        expect(auditEntry(seq + 1, bytes(m), applied(m, seq + 1, later), nowhere)).toBeNull();
      }),
    );
  });

  it('names the field when any one field of the replica event differs, and the two ids when the ids differ', () => {
    const fields = ['id', 'event_type', 'source', 'session_id', 'user_id', 'payloadJson', 'ts'] as const;
    fc.assert(
      fc.property(message, fc.constantFrom(...fields), (m, field) => {
        const { record } = applied(m, 7) as Extract<ReplicaSlot, { kind: 'record' }>;
        const changed = {
          ...record,
          [field]:
            field === 'ts'
              ? record.ts - 1
              : field === 'event_type'
                ? otherType(record.event_type)
                : `${record[field]}!`,
        };
        if (field === 'ts' && m.ts === 0) return;
        const found = auditEntry(7, bytes(m), { kind: 'record', record: changed }, nowhere);
        const named = { id: 'replica event', payloadJson: 'payload', ts: 'timestamp' }[field as string] ?? field;
        expect(found).toContain(named);
        expect(found).toContain(JSON.stringify(m.input.id));
      }),
    );
  });

  it('accepts a no-op where the message repeats a producer id the replica holds earlier, and nowhere else', () => {
    fc.assert(
      fc.property(message, fc.integer({ min: 2, max: 100 }), fc.integer({ min: 1, max: 200 }), (m, seq, at) => {
        const found = auditEntry(seq, bytes(m), { kind: 'noop', reason: 'r' }, (id) => (id === m.input.id ? at : null));
        if (m.producer && at < seq) expect(found).toBeNull();
        else expect(found).toBe(`the stream holds event ${JSON.stringify(m.input.id)} there, the replica a no-op`);
      }),
    );
  });

  it('accepts a no-op whose reason names the id at an earlier offset that retention has deleted since', () => {
    const [m] = fc.sample(message, { numRuns: 1, seed: 2 });
    const repeat = { ...m!, producer: true };
    const reason = (at: number, id = repeat.input.id) => `producer id ${JSON.stringify(id)} is already at offset ${at}`;
    expect(auditEntry(9, bytes(repeat), { kind: 'noop', reason: reason(4) }, nowhere)).toBeNull();
    for (const [at, id] of [
      [9, repeat.input.id],
      [12, repeat.input.id],
      [4, `${repeat.input.id}!`],
    ] as const)
      expect(auditEntry(9, bytes(repeat), { kind: 'noop', reason: reason(at, id) }, nowhere)).toContain('a no-op');
  });

  it("finds a no-op whose earlier offset is below the message's floor: the publisher had freed the id", () => {
    const [m] = fc.sample(message, { numRuns: 1, seed: 3 });
    const repeat = { ...m!, producer: true };
    const id = JSON.stringify(repeat.input.id);
    const noop: ReplicaSlot = { kind: 'noop', reason: `producer id ${id} is already at offset 4` };
    // Before: passed. A node that ignored the floor (an earlier version) applied a republish after a DELETE as a
    // duplicate, every node's audit passed it, and that node served nothing where the others served the event.
    expect(auditEntry(9, bytes(repeat), noop, nowhere, 5)).toBe(
      `the stream holds event ${id} there, the replica a no-op`,
    );
    expect(auditEntry(9, bytes(repeat), noop, (found) => (found === repeat.input.id ? 4 : null), 5)).toContain('no-op');
    expect(auditEntry(9, bytes(repeat), noop, nowhere, 4)).toBeNull();
  });

  it("finds a no-op where the stream holds a message in another version's layout", () => {
    const other = new TextEncoder().encode('{"v":1,"ts":1,"g":[],"n":[]}');
    expect(auditEntry(3, other, { kind: 'noop', reason: 'not an event message (…)' }, nowhere)).toBe(
      'the stream holds a message of another version there (layout v1 ({"v":…}, the earlier one-message-per-commit ' +
        'layout); this build reads v2)',
    );
  });

  it('accepts a no-op for a message that is no event of this code, and not an event in its place', () => {
    const foreign = new TextEncoder().encode('hello');
    const [m] = fc.sample(message, { numRuns: 1, seed: 1 });
    expect(auditEntry(3, foreign, { kind: 'noop', reason: 'not an event' }, nowhere)).toBeNull();
    expect(auditEntry(3, foreign, applied(m!, 3), nowhere)).toContain('the stream holds no event there');
  });

  it('has nothing to say about an offset the replica no longer holds (deleted) or never applied', () => {
    fc.assert(
      fc.property(message, (m) => {
        expect(auditEntry(5, bytes(m), { kind: 'none' }, nowhere)).toBeNull();
      }),
    );
  });
});

function otherType(type: string) {
  return EVENT_TYPES.find((t) => t !== type)!;
}
