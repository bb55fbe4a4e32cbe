import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type PayloadLimits, parseEventInput } from './eventInput.js';
import { EVENT_TYPES } from './eventTypes.js';
import type { Issue } from './issue.js';

const limits: PayloadLimits = { maxPayloadKeys: 5, maxPayloadBytes: 200, maxJsonDepth: 8 };

const valid = { event_type: 'quiz_started', source: 'quiz-service' };

/** The issues of a parse that must fail. */
function issuesOf(raw: unknown, custom: PayloadLimits = limits): readonly Issue[] {
  const result = parseEventInput(raw, custom);
  if (result.ok) throw new Error(`expected a failure for ${JSON.stringify(raw)}`);
  return result.issues;
}

function fieldsOf(raw: unknown): string[] {
  return issuesOf(raw).map((issue) => issue.field);
}

describe('parseEventInput', () => {
  it('accepts a minimal event and fills the defaults', () => {
    expect(parseEventInput(valid, limits)).toEqual({
      ok: true,
      value: {
        id: null,
        event_type: 'quiz_started',
        source: 'quiz-service',
        session_id: null,
        user_id: null,
        payloadJson: '{}',
      },
    });
  });

  it('keeps every optional field and serializes the payload once', () => {
    const raw = { ...valid, id: 'p:1.a_b-c', session_id: 's1', user_id: 'u1', payload: { score: 3, tags: ['a'] } };
    expect(parseEventInput(raw, limits)).toEqual({
      ok: true,
      value: {
        id: 'p:1.a_b-c',
        event_type: 'quiz_started',
        source: 'quiz-service',
        session_id: 's1',
        user_id: 'u1',
        payloadJson: '{"score":3,"tags":["a"]}',
      },
    });
  });

  it('treats null optional fields as absent', () => {
    const result = parseEventInput({ ...valid, id: null, session_id: null, user_id: null, payload: null }, limits);
    expect(result).toEqual({
      ok: true,
      value: expect.objectContaining({ id: null, session_id: null, user_id: null, payloadJson: '{}' }),
    });
  });

  it('drops unknown fields', () => {
    const result = parseEventInput({ ...valid, extra: 1 }, limits);
    expect(result.ok && result.value).not.toHaveProperty('extra');
  });

  it('accepts every one of the 15 event types', () => {
    expect(EVENT_TYPES).toHaveLength(15);
    for (const event_type of EVENT_TYPES) {
      const result = parseEventInput({ ...valid, event_type }, limits);
      expect(result.ok && result.value.event_type).toBe(event_type);
    }
  });

  it('rejects an unknown event type, naming the value and listing the allowed ones', () => {
    const issues = issuesOf({ ...valid, event_type: 'quiz_exploded' });
    expect(issues).toHaveLength(1);
    expect(issues[0]!.field).toBe('event_type');
    expect(issues[0]!.message).toContain('"quiz_exploded"');
    for (const type of EVENT_TYPES) expect(issues[0]!.message).toContain(type);
  });

  it('rejects any string that is not an event type', () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !(EVENT_TYPES as readonly string[]).includes(s)),
        (event_type) => {
          expect(fieldsOf({ ...valid, event_type })).toEqual(['event_type']);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('reports missing required fields by name', () => {
    const issues = issuesOf({});
    expect(issues.map((issue) => issue.field).sort()).toEqual(['event_type', 'source']);
    for (const issue of issues) expect(issue.message).toBe('field required');
  });

  it('rejects a value that is not an object with an issue on the event as a whole (field empty)', () => {
    for (const raw of [null, 'event', 42, [valid]]) {
      const kind = { rule: 'type', expected: 'model', input: raw };
      expect(issuesOf(raw)).toEqual([{ field: '', message: 'event must be a JSON object', kind }]);
    }
  });

  describe('source', () => {
    it('accepts 1 to 100 characters of letters, digits, "_", "." and "-"', () => {
      for (const source of ['a', 'A.b_c-9', 'x'.repeat(100)]) {
        expect(parseEventInput({ ...valid, source }, limits).ok).toBe(true);
      }
    });

    it('rejects empty, too long, non-string and disallowed characters', () => {
      for (const source of ['', 'x'.repeat(101), 5, 'a b', 'a/b', 'a:b', 'é', 'a"b']) {
        const fields = fieldsOf({ ...valid, source });
        expect(fields.length).toBeGreaterThan(0);
        expect(new Set(fields)).toEqual(new Set(['source']));
      }
    });

    it('says a present source of another type must be a string, not that it is required', () => {
      for (const source of [5, true, {}, ['a']]) {
        const kind = { rule: 'type', expected: 'string', input: source };
        expect(issuesOf({ ...valid, source })).toEqual([{ field: 'source', message: 'must be a string', kind }]);
      }
    });

    it('agrees with the pattern for arbitrary strings', () => {
      fc.assert(
        fc.property(fc.string({ maxLength: 120 }), (source) => {
          const expected = source.length >= 1 && source.length <= 100 && /^[A-Za-z0-9_.-]+$/.test(source);
          expect(parseEventInput({ ...valid, source }, limits).ok).toBe(expected);
        }),
        { numRuns: 100 },
      );
    });
  });

  describe.each(['session_id', 'user_id'] as const)('%s', (field) => {
    it('accepts up to 200 characters of anything', () => {
      for (const value of ['x', 'x'.repeat(200), 'a b/"ü😀']) {
        const result = parseEventInput({ ...valid, [field]: value }, limits);
        expect(result.ok && result.value[field]).toBe(value);
      }
    });

    it('rejects 201 characters, naming the field and the length', () => {
      const input = 'x'.repeat(201);
      const issues = issuesOf({ ...valid, [field]: input });
      expect(issues).toEqual([
        { field, message: expect.stringContaining('200'), kind: { rule: 'too_long', max: 200, input } },
      ]);
      expect(issues[0]!.message).toContain('201');
    });

    it('rejects a non-string', () => {
      expect(fieldsOf({ ...valid, [field]: 7 })).toEqual([field]);
    });

    it('rejects an empty string, which would make a session that cannot be fetched', () => {
      expect(issuesOf({ ...valid, [field]: '' })).toEqual([
        { field, message: expect.stringContaining('must not be empty') },
      ]);
    });
  });

  it('keeps lone surrogates in payload strings exactly (JSON escapes them)', () => {
    const result = parseEventInput({ ...valid, payload: { text: 'a\ud800b\udc00' } }, limits);
    expect(result.ok && (JSON.parse(result.value.payloadJson) as { text: string }).text).toBe('a\ud800b\udc00');
  });

  describe('nesting depth', () => {
    const nested = (depth: number): unknown => {
      let value: unknown = 1;
      for (let i = 0; i < depth; i++) value = i % 2 === 0 ? { a: value } : [value];
      return value;
    };

    it('allows containers up to maxJsonDepth levels, counting the event itself', () => {
      // Event (1) + payload (2) leaves 6 more levels at maxJsonDepth 8.
      expect(parseEventInput({ ...valid, payload: { k: nested(6) } }, limits).ok).toBe(true);
    });

    it('refuses one level more, naming the field where it goes too deep', () => {
      expect(issuesOf({ ...valid, payload: { k: nested(7) } })).toEqual([
        { field: expect.stringMatching(/^payload\.k/), message: 'nests deeper than 8 levels (MAX_JSON_DEPTH)' },
      ]);
      expect(issuesOf({ ...valid, ref: nested(8) })[0]!.field).toMatch(/^ref/);
    });

    it('refuses 10,000 levels without overflowing the stack', () => {
      expect(issuesOf({ ...valid, payload: { k: nested(10_000) } })[0]!.message).toContain('MAX_JSON_DEPTH');
    });
  });

  describe('numbers JSON cannot carry', () => {
    const NOT_JSON = /^is a number beyond ±1\.7976931348623157e308 .*it would become null/;

    it('refuses a payload number JSON.parse read as ±Infinity, naming it, instead of storing null', () => {
      const raw = JSON.parse('{"event_type":"quiz_started","source":"s","payload":{"a":[1,{"b":-1e400}]}}') as unknown;
      expect(issuesOf(raw)).toEqual([{ field: 'payload.a[1].b', message: expect.stringMatching(NOT_JSON) }]);
      expect(issuesOf({ ...valid, ref: Number.POSITIVE_INFINITY })).toEqual([
        { field: 'ref', message: expect.stringMatching(NOT_JSON) },
      ]);
    });

    it('keeps the largest finite doubles exactly', () => {
      const result = parseEventInput({ ...valid, payload: { a: 1.7976931348623157e308, b: -5e-324 } }, limits);
      expect(result.ok && result.value.payloadJson).toBe('{"a":1.7976931348623157e+308,"b":-5e-324}');
    });

    it('stores every accepted payload exactly as JSON gives it back', () => {
      const payloads = fc.dictionary(
        fc.string({ maxLength: 5 }),
        fc.oneof(fc.double(), fc.constantFrom(Infinity, -Infinity, Number.NaN), fc.jsonValue({ maxDepth: 2 })),
        {
          maxKeys: 5,
        },
      );
      fc.assert(
        fc.property(payloads, (payload) => {
          const result = parseEventInput({ ...valid, payload }, { ...limits, maxPayloadBytes: 1_000_000 });
          const finite = Object.values(payload).every((value) => typeof value !== 'number' || Number.isFinite(value));
          expect(result.ok).toBe(finite);
          if (result.ok) expect(JSON.parse(result.value.payloadJson)).toEqual(JSON.parse(JSON.stringify(payload)));
        }),
      );
    });
  });

  it('echoes at most a short prefix of a huge unknown event type', () => {
    const [issue] = issuesOf({ ...valid, event_type: 'x'.repeat(1_000_000) });
    expect(issue!.message.length).toBeLessThan(600);
    expect(issue!.message).toContain('1000000 characters');
  });

  it('says an event type that is not a string must be one, as every text field does, echoing nothing of it', () => {
    // Before: `unknown event type 5` and `unknown event type null`, as if 5 and null were names of unknown types.
    for (const event_type of [{ a: 'x'.repeat(1_000_000) }, 7, null, true, ['quiz_started']]) {
      const [issue] = issuesOf({ ...valid, event_type });
      expect(issue).toEqual({
        field: 'event_type',
        message: expect.stringMatching(/^must be a string; allowed: quiz_started, /),
        kind: { rule: 'type', expected: 'string', input: event_type },
      });
      expect(issue!.message.length).toBeLessThan(400);
    }
  });

  describe('payload', () => {
    it('rejects values that are not JSON objects', () => {
      for (const payload of ['text', 3, true, [1, 2]]) {
        expect(fieldsOf({ ...valid, payload })).toEqual(['payload']);
      }
    });

    it('allows exactly maxPayloadKeys keys and rejects one more', () => {
      const five = { a: 1, b: 2, c: 3, d: 4, e: 5 };
      expect(parseEventInput({ ...valid, payload: five }, limits).ok).toBe(true);
      const issues = issuesOf({ ...valid, payload: { ...five, f: 6 } });
      const kind = { rule: 'validator', input: { ...five, f: 6 } };
      expect(issues).toEqual([{ field: 'payload', message: expect.stringContaining('6 keys'), kind }]);
    });

    it('limits the serialized size in UTF-8 bytes, not characters', () => {
      const byteLimits: PayloadLimits = { maxPayloadKeys: 10, maxPayloadBytes: 20, maxJsonDepth: 8 };
      // {"k":"…"} is 8 bytes of framing.
      expect(parseEventInput({ ...valid, payload: { k: 'x'.repeat(12) } }, byteLimits).ok).toBe(true);
      expect(issuesOf({ ...valid, payload: { k: 'x'.repeat(13) } }, byteLimits)).toEqual([
        {
          field: 'payload',
          message: expect.stringContaining('21 bytes'),
          kind: { rule: 'validator', input: { k: 'x'.repeat(13) } },
        },
      ]);
      // Six characters but twelve bytes: ü is two bytes in UTF-8.
      expect(parseEventInput({ ...valid, payload: { k: 'ü'.repeat(6) } }, byteLimits).ok).toBe(true);
      expect(issuesOf({ ...valid, payload: { k: 'ü'.repeat(7) } }, byteLimits)[0]!.field).toBe('payload');
      // Four bytes per emoji (two UTF-16 units).
      expect(parseEventInput({ ...valid, payload: { k: '😀'.repeat(3) } }, byteLimits).ok).toBe(true);
      expect(issuesOf({ ...valid, payload: { k: '😀'.repeat(4) } }, byteLimits)[0]!.field).toBe('payload');
    });

    it('accepts exactly when the key count and the UTF-8 size are within limits', () => {
      const payloadArb = fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ unit: 'binary', maxLength: 20 }), {
        maxKeys: 8,
      });
      fc.assert(
        fc.property(payloadArb, (payload) => {
          const json = JSON.stringify(payload);
          const expected =
            Object.keys(payload).length <= limits.maxPayloadKeys &&
            Buffer.byteLength(json, 'utf8') <= limits.maxPayloadBytes;
          const result = parseEventInput({ ...valid, payload }, limits);
          expect(result.ok).toBe(expected);
          if (result.ok) expect(result.value.payloadJson).toBe(json);
        }),
        { numRuns: 200 },
      );
    });
  });

  describe('producer id', () => {
    it('accepts 1 to 100 characters of letters, digits, "_", ".", ":" and "-"', () => {
      for (const id of ['a', 'order:42.x_y-z', 'x'.repeat(100)]) {
        const result = parseEventInput({ ...valid, id }, limits);
        expect(result.ok && result.value.id).toBe(id);
      }
    });

    it('rejects empty, too long, non-string and disallowed characters', () => {
      for (const id of ['', 'x'.repeat(101), 12, 'a b', 'a/b', 'ü']) {
        const fields = fieldsOf({ ...valid, id });
        expect(fields.length).toBeGreaterThan(0);
        expect(new Set(fields)).toEqual(new Set(['id']));
      }
    });
  });

  it('reports every bad field at once', () => {
    const fields = fieldsOf({ event_type: 'nope', source: '', session_id: 'x'.repeat(201), id: '' });
    expect(new Set(fields)).toEqual(new Set(['event_type', 'source', 'session_id', 'id']));
  });
});
