import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EVENT_QUERY_PARAMS, parseEventQuery, type QueryParseResult, retentionHeader } from './eventQuery.js';
import { EVENT_TYPES } from './eventTypes.js';
import { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from './queryParams.js';

function parse(params: Record<string, string>): QueryParseResult {
  return parseEventQuery(new Map(Object.entries(params)));
}

function failure(params: Record<string, string>): Extract<QueryParseResult, { ok: false }> {
  const result = parse(params);
  if (result.ok) throw new Error(`expected a failure for ${JSON.stringify(params)}`);
  return result;
}

describe('parseEventQuery', () => {
  it('defaults to limit 100, no filter and no bounds', () => {
    expect(parse({})).toEqual({ ok: true, value: { filter: {}, limit: DEFAULT_LIST_LIMIT, order: 'desc' } });
    expect(DEFAULT_LIST_LIMIT).toBe(100);
    expect(MAX_LIST_LIMIT).toBe(1000);
  });

  it('treats an empty value of every parameter as absent: its default', () => {
    // Before: `order=` alone was refused with 422 ("must be \"asc\" or \"desc\"").
    const every = [
      'limit',
      'since',
      'until',
      'session_id',
      'user_id',
      'source',
      'event_type',
      'after_offset',
      'before_offset',
      'order',
    ];
    expect(every.sort()).toEqual([...EVENT_QUERY_PARAMS].sort());
    expect(parse(Object.fromEntries(every.map((name) => [name, ''])))).toEqual(parse({}));
  });

  describe('limit', () => {
    it('accepts every integer from 1 to 1000', () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 1000 }), (limit) => {
          const result = parse({ limit: String(limit) });
          expect(result.ok && result.value.limit).toBe(limit);
        }),
        { numRuns: 50 },
      );
    });

    it('rejects out-of-range integers with 422, naming the field', () => {
      fc.assert(
        fc.property(fc.oneof(fc.integer({ max: 0 }), fc.integer({ min: 1001 })), (limit) => {
          const result = failure({ limit: String(limit) });
          expect(result.status).toBe(422);
          const kind = limit < 1 ? { rule: 'ge', bound: 1 } : { rule: 'le', bound: 1000 };
          const issue = {
            field: 'limit',
            message: expect.stringContaining('1 to 1000'),
            kind: { ...kind, input: String(limit) },
          };
          expect(result.issues).toEqual([issue]);
        }),
        { numRuns: 50 },
      );
    });

    it('rejects non-integers with 422', () => {
      for (const limit of ['abc', '1.5', '1e2', ' 5', '10x']) {
        const result = failure({ limit });
        expect(result.status).toBe(422);
        expect(result.issues[0]!.field).toBe('limit');
      }
    });
  });

  describe('since and until', () => {
    it('parses ISO 8601 into epoch ms bounds: since exclusive (as the old service), until inclusive', () => {
      const result = parse({ since: '2026-01-31T12:00:00Z', until: '2026-01-31T13:00:00.500+01:00' });
      expect(result.ok && result.value.since).toBe(Date.UTC(2026, 0, 31, 12) + 1);
      expect(result.ok && result.value.until).toBe(Date.UTC(2026, 0, 31, 12, 0, 0, 500));
    });

    it('puts each record in exactly one of windows that follow each other (since=A&until=B, since=B&until=C)', () => {
      const iso = (ms: number, micros: number) =>
        new Date(ms).toISOString().replace('Z', `${String(micros).padStart(3, '0')}Z`);
      const base = Date.UTC(2026, 0, 31, 12);
      // Hint: whole milliseconds half the time, where a record can sit exactly on a cut.
      const instant = fc.tuple(
        fc.integer({ min: 0, max: 20 }),
        fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 999 })),
      );
      fc.assert(
        fc.property(
          fc.uniqueArray(instant, { minLength: 2, maxLength: 6, selector: ([ms, us]) => ms * 1000 + us }),
          fc.integer({ min: 0, max: 20 }),
          (cuts, ts) => {
            const sorted = [...cuts].sort((a, b) => a[0] * 1000 + a[1] - (b[0] * 1000 + b[1]));
            const record = base + ts;
            const first = sorted[0]!;
            const last = sorted.at(-1)!;
            const inside =
              record * 1000 > (base + first[0]) * 1000 + first[1] && record * 1000 <= (base + last[0]) * 1000 + last[1];
            let windows = 0;
            for (let i = 1; i < sorted.length; i++) {
              const [a, b] = [sorted[i - 1]!, sorted[i]!];
              const result = parse({ since: iso(base + a[0], a[1]), until: iso(base + b[0], b[1]) });
              if (!result.ok) throw new Error('a valid window was refused');
              if (record >= result.value.since! && record <= result.value.until!) windows++;
            }
            expect(windows).toBe(inside ? 1 : 0);
          },
        ),
      );
    });

    it.each(['since', 'until'])('rejects an invalid %s with 400 mentioning the timestamp', (name) => {
      const result = failure({ [name]: 'yesterday' });
      expect(result.status).toBe(400);
      expect(result.issues).toEqual([{ field: name, message: expect.stringContaining('timestamp') }]);
      expect(result.issues[0]!.message).toContain('"yesterday"');
    });

    it('reports a bad timestamp with 400 even when other fields are also bad', () => {
      expect(failure({ since: '2026-02-31', limit: '0' }).status).toBe(400);
    });
  });

  describe('order', () => {
    it('accepts asc and desc', () => {
      expect(parse({ order: 'asc' })).toMatchObject({ ok: true, value: { order: 'asc' } });
      expect(parse({ order: 'desc' })).toMatchObject({ ok: true, value: { order: 'desc' } });
    });

    it('rejects anything else with 422', () => {
      const result = failure({ order: 'ASC' });
      expect(result.status).toBe(422);
      expect(result.issues[0]!.field).toBe('order');
    });
  });

  describe('event_type', () => {
    it('splits a comma-separated list and trims the names', () => {
      const result = parse({ event_type: 'quiz_started, answer_submitted,,timer_tick' });
      expect(result.ok && result.value.filter.event_types).toEqual(['quiz_started', 'answer_submitted', 'timer_tick']);
    });

    it('accepts any subset of the event types', () => {
      fc.assert(
        fc.property(fc.subarray([...EVENT_TYPES], { minLength: 1 }), (types) => {
          const result = parse({ event_type: types.join(',') });
          expect(result.ok && result.value.filter.event_types).toEqual(types);
        }),
        { numRuns: 50 },
      );
    });

    // Hint: the log prepares and keeps one statement per SQL text, and the list is an `IN (?, …)` of its length: a
    // name repeated N times (a URL of 66 KB was answered 200) made a new kept statement for every N.
    it('lists each type once however often it is repeated, so the filter has at most one entry per type', () => {
      const result = parse({ event_type: Array(2_000).fill('timer_tick').join(',') });
      expect(result.ok && result.value.filter.event_types).toEqual(['timer_tick']);
      fc.assert(
        fc.property(fc.array(fc.constantFrom(...EVENT_TYPES), { minLength: 1, maxLength: 60 }), (names) => {
          const parsed = parse({ event_type: names.join(',') });
          expect(parsed.ok && parsed.value.filter.event_types).toEqual([...new Set(names)]);
        }),
        { numRuns: 50 },
      );
    });

    it('rejects an unknown name with 422, naming it and listing the allowed ones', () => {
      const result = failure({ event_type: 'quiz_started,bogus' });
      expect(result.status).toBe(422);
      expect(result.issues).toHaveLength(1);
      expect(result.issues[0]!.field).toBe('event_type');
      expect(result.issues[0]!.message).toContain('"bogus"');
      for (const type of EVENT_TYPES) expect(result.issues[0]!.message).toContain(type);
    });
  });

  it('refuses a source filter no event can have, naming the rule', () => {
    expect(parse({ source: 'a b' })).toEqual({
      ok: false,
      status: 422,
      issues: [
        { field: 'source', message: 'may contain only letters, digits, "_", "." and "-", as an event\'s source does' },
      ],
    });
    expect(parse({ source: 'x'.repeat(101) })).toMatchObject({ ok: false, issues: [{ field: 'source' }] });
    expect(parse({ source: 'x'.repeat(100) }).ok).toBe(true);
  });

  it('refuses a session_id or user_id filter longer than any stored id, counting code points', () => {
    expect(parse({ user_id: 'u'.repeat(201) })).toEqual({
      ok: false,
      status: 422,
      issues: [
        {
          field: 'user_id',
          message: 'must be at most 200 characters (got 201)',
          kind: { rule: 'too_long', max: 200, input: 'u'.repeat(201) },
        },
      ],
    });
    expect(parse({ session_id: '\u{1F600}'.repeat(200) }).ok).toBe(true);
    expect(parse({ session_id: '\u{1F600}'.repeat(201) })).toMatchObject({
      ok: false,
      issues: [{ field: 'session_id' }],
    });
  });

  it('passes session_id, user_id and source through as filters', () => {
    const result = parse({ session_id: 's 1', user_id: 'u/1', source: 'svc' });
    expect(result.ok && result.value.filter).toEqual({ session_id: 's 1', user_id: 'u/1', source: 'svc' });
  });

  describe('offsets', () => {
    it('parses non-negative integers', () => {
      const result = parse({ after_offset: '0', before_offset: '42' });
      expect(result.ok && result.value).toMatchObject({ after_offset: 0, before_offset: 42 });
    });

    it.each(['after_offset', 'before_offset'])('rejects a bad %s with 422', (name) => {
      for (const text of ['-1', 'x', '1.5', '99999999999999999999']) {
        const result = failure({ [name]: text });
        expect(result.status).toBe(422);
        expect(result.issues).toEqual([{ field: name, message: expect.stringContaining('non-negative integer') }]);
      }
      // Hint: a well-formed offset past 2^53 - 1 says the bound, not that it is not an integer.
      expect(failure({ [name]: '9007199254740992' }).issues).toEqual([
        { field: name, message: 'must be a non-negative integer at most 9007199254740991 (got "9007199254740992")' },
      ]);
      expect(parse({ [name]: '9007199254740991' }).ok).toBe(true);
    });
  });

  it('names the first stored offset only when the range asked for starts below it', () => {
    const header = (after: number | undefined, first: number) =>
      retentionHeader(after === undefined ? {} : { after_offset: after }, first);
    expect(header(undefined, 1)).toEqual({});
    expect(header(0, 1)).toEqual({});
    expect(header(undefined, 21)).toEqual({ 'X-First-Available-Offset': '21' });
    expect(header(19, 21)).toEqual({ 'X-First-Available-Offset': '21' });
    expect(header(20, 21)).toEqual({});
    expect(header(40, 21)).toEqual({});
  });

  it('reports every 422 problem at once', () => {
    const result = failure({ limit: '0', order: 'up', event_type: 'x', after_offset: '-1' });
    expect(result.status).toBe(422);
    expect(result.issues.map((issue) => issue.field).sort()).toEqual(['after_offset', 'event_type', 'limit', 'order']);
  });
});
