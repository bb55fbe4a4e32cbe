import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatTimestamp, recordJson, recordsJson, type StoredEvent, toRecord } from './eventRecord.js';
import { EVENT_TYPES } from './eventTypes.js';

/** Strings that stress escaping: quotes, backslashes, control characters, astral and combining characters. */
const nastyString = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: fc.constantFrom('"', '\\', '\n', '\u0000', '\u2028', '</', 'é', '😀', '\ud800', 'a') }),
);

/** Any timestamp a Date can hold, from year -271821 to 275760. */
const anyTs = fc.integer({ min: -8.64e15, max: 8.64e15 });

const storedEventArb = fc.record({
  offset: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  id: nastyString,
  event_type: fc.constantFrom(...EVENT_TYPES),
  // Hint: input validation restricts source to this pattern, which is why recordJson may skip escaping it.
  source: fc.stringMatching(/^[A-Za-z0-9_.-]{1,100}$/),
  session_id: fc.option(nastyString, { nil: null }),
  user_id: fc.option(nastyString, { nil: null }),
  payload: fc.dictionary(nastyString, fc.jsonValue()),
  ts: anyTs,
});

function stored(event: Omit<StoredEvent, 'payloadJson'> & { payload: unknown }): StoredEvent {
  const { payload, ...rest } = event;
  return { ...rest, payloadJson: JSON.stringify(payload) };
}

function plain(event: StoredEvent): object {
  return {
    id: event.id,
    offset: event.offset,
    event_type: event.event_type,
    source: event.source,
    session_id: event.session_id,
    user_id: event.user_id,
    payload: JSON.parse(event.payloadJson) as unknown,
    timestamp: new Date(event.ts).toISOString(),
  };
}

describe('formatTimestamp', () => {
  it('writes ISO 8601 UTC with milliseconds and a trailing Z', () => {
    expect(formatTimestamp(Date.UTC(2026, 0, 31, 12, 0, 0, 5))).toBe('2026-01-31T12:00:00.005Z');
    expect(formatTimestamp(0)).toBe('1970-01-01T00:00:00.000Z');
  });

  it('always ends in Z and parses back to the same instant', () => {
    fc.assert(
      fc.property(anyTs, (ts) => {
        const text = formatTimestamp(ts);
        expect(text.endsWith('Z')).toBe(true);
        expect(Date.parse(text)).toBe(ts);
      }),
      { numRuns: 200 },
    );
  });
});

describe('recordJson', () => {
  it('writes the contract fields in order', () => {
    const event: StoredEvent = {
      offset: 7,
      id: 'e-1',
      event_type: 'answer_submitted',
      source: 'quiz',
      session_id: 's1',
      user_id: null,
      payloadJson: '{"q":1}',
      ts: Date.UTC(2026, 0, 31),
    };
    expect(recordJson(event)).toBe(
      '{"id":"e-1","offset":7,"event_type":"answer_submitted","source":"quiz","session_id":"s1","user_id":null,"payload":{"q":1},"timestamp":"2026-01-31T00:00:00.000Z"}',
    );
  });

  it('equals JSON.stringify of the equivalent plain object', () => {
    fc.assert(
      fc.property(storedEventArb, (arb) => {
        const event = stored(arb);
        expect(recordJson(event)).toBe(JSON.stringify(plain(event)));
      }),
      { numRuns: 300 },
    );
  });

  it('produces JSON whose timestamp ends in Z', () => {
    fc.assert(
      fc.property(storedEventArb, (arb) => {
        const record = toRecord(stored(arb));
        expect(record.timestamp).toMatch(/Z$/);
        expect(Date.parse(record.timestamp)).toBe(arb.ts);
      }),
      { numRuns: 100 },
    );
  });
});

describe('recordsJson', () => {
  it('is a JSON array of recordJson outputs', () => {
    fc.assert(
      fc.property(fc.array(storedEventArb, { maxLength: 5 }), (arbs) => {
        const events = arbs.map(stored);
        const text = recordsJson(events);
        expect(text).toBe(JSON.stringify(events.map(plain)));
      }),
      { numRuns: 100 },
    );
  });

  it('writes [] for no events', () => {
    expect(recordsJson([])).toBe('[]');
  });
});

describe('toRecord', () => {
  it('parses the payload back to the appended object', () => {
    fc.assert(
      fc.property(storedEventArb, (arb) => {
        const record = toRecord(stored(arb));
        expect(record.payload).toEqual(JSON.parse(JSON.stringify(arb.payload)));
        expect(record).toMatchObject({
          id: arb.id,
          offset: arb.offset,
          session_id: arb.session_id,
          user_id: arb.user_id,
        });
      }),
      { numRuns: 100 },
    );
  });
});
