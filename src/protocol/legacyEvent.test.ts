import { describe, expect, it } from 'vitest';
import { type LegacyRow, legacyMicros, parseLegacyRow } from './legacyEvent.js';

const ROW: LegacyRow = {
  rowid: 7,
  id: 'evt_0123456789ab',
  event_type: 'quiz_started',
  source: 'quiz_engine',
  session_id: 'sess-1',
  user_id: 'stu-1',
  payload: '{"quiz_id": "q1", "title": "Br\\u00fccken \\ud83c\\udf09", "n": 1.5}',
  timestamp: '2026-01-05T10:00:00.123456Z',
};

describe('parseLegacyRow', () => {
  it('keeps the id, type, source, keys and payload, and the time to the millisecond', () => {
    const parsed = parseLegacyRow(ROW);
    expect(parsed).toEqual({
      ok: true,
      value: {
        input: {
          id: 'evt_0123456789ab',
          event_type: 'quiz_started',
          source: 'quiz_engine',
          session_id: 'sess-1',
          user_id: 'stu-1',
          payloadJson: '{"quiz_id":"q1","title":"Brücken 🌉","n":1.5}',
        },
        ts: Date.parse('2026-01-05T10:00:00.123Z'),
        emptied: false,
      },
    });
  });

  it("reads every form of the FastAPI service's timestamps as UTC", () => {
    const at = (timestamp: string) => {
      const parsed = parseLegacyRow({ ...ROW, timestamp });
      return parsed.ok ? new Date(parsed.value.ts).toISOString() : parsed.issues;
    };
    expect(at('2026-01-05T10:00:00.123456Z')).toBe('2026-01-05T10:00:00.123Z');
    expect(at('2026-01-05T10:00:00.123456+00:00')).toBe('2026-01-05T10:00:00.123Z');
    expect(at('2026-01-05T10:00:00.123456')).toBe('2026-01-05T10:00:00.123Z');
    // Hint: isoformat() leaves out a fraction of zero.
    expect(at('2026-01-05T10:00:00Z')).toBe('2026-01-05T10:00:00.000Z');
  });

  it('reads a NULL or empty payload as {}, as the FastAPI service served it, and an empty key as null', () => {
    for (const payload of [null, '']) {
      const parsed = parseLegacyRow({ ...ROW, payload, session_id: '', user_id: null });
      expect(parsed.ok && parsed.value.input).toMatchObject({ payloadJson: '{}', session_id: null, user_id: null });
      expect(parsed.ok && parsed.value.emptied).toBe(true);
    }
  });

  it('names every reason a row cannot be stored as it was', () => {
    const issues = (row: Partial<LegacyRow>) => {
      const parsed = parseLegacyRow({ ...ROW, ...row });
      return parsed.ok ? [] : parsed.issues.map((issue) => `${issue.field}: ${issue.message}`);
    };
    expect(issues({ payload: '{"score": NaN' })[0]).toMatch(/^payload: is not valid JSON \(/);
    expect(issues({ payload: '[1, 2]' })).toEqual(['payload: must be a JSON object']);
    expect(issues({ payload: '{"ids": [12345678901234567891]}' })).toEqual([
      'payload.ids[0]: is the integer 12345678901234567891, which this log (JSON numbers as 64-bit floats) would hold as 12345678901234567000',
    ]);
    expect(issues({ event_type: 'quiz_paused' })[0]).toMatch(
      /^event_type: unknown event type "quiz_paused"; allowed: /,
    );
    expect(issues({ timestamp: 'yesterday' })).toEqual(['timestamp: is not an ISO 8601 time: "yesterday"']);
    expect(issues({ timestamp: '1969-12-31T23:59:59Z' })).toEqual([
      'timestamp: is before 1970, which this log cannot hold: 1969-12-31T23:59:59Z',
    ]);
    expect(issues({ id: null })).toEqual(['id: is null, not text']);
    expect(issues({ source: 'quiz engine', timestamp: 5 })).toEqual([
      'timestamp: is not an ISO 8601 time: 5',
      'source: may contain only letters, digits, "_", "." and "-"',
    ]);
  });
});

describe('legacyMicros', () => {
  it('orders by the microsecond, where the text does not', () => {
    const times = ['2026-01-05T10:00:00Z', '2026-01-05T10:00:00.000900Z', '2026-01-05T09:59:59.999999+00:00'];
    const micros = times.map(legacyMicros);
    expect(micros).toEqual([1767607200000000, 1767607200000900, 1767607199999999]);
    // As text, `…00Z` sorts after `…00.000900Z`; as time it comes before.
    expect(times[0]! > times[1]!).toBe(true);
    expect(micros[0]! < micros[1]!).toBe(true);
    expect(legacyMicros('not a time')).toBeNull();
    expect(legacyMicros(null)).toBeNull();
  });

  it('reads the microseconds of a comma fraction and of the basic format too (rows edited by hand)', () => {
    const at = 1767607200000000;
    expect(legacyMicros('2026-01-05T10:00:00,000070Z')).toBe(at + 70);
    expect(legacyMicros('20260105T100000.000060Z')).toBe(at + 60);
    expect(legacyMicros('2026-01-05 10:00:00.000050+00:00')).toBe(at + 50);
    expect(legacyMicros('2026-01-05T10:00Z')).toBe(at);
  });
});
