import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as v from 'valibot';
import { EventInputSchema, fastEventShape, parseEventInput, type PayloadLimits } from './eventInput.js';
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
      value: { id: null, event_type: 'quiz_started', source: 'quiz-service', session_id: null, user_id: null, payloadJson: '{}' },
    });
  });

  it('keeps every optional field and serializes the payload once', () => {
    const raw = { ...valid, id: 'p:1.a_b-c', session_id: 's1', user_id: 'u1', payload: { score: 3, tags: ['a'] } };
    expect(parseEventInput(raw, limits)).toEqual({
      ok: true,
      value: { id: 'p:1.a_b-c', event_type: 'quiz_started', source: 'quiz-service', session_id: 's1', user_id: 'u1', payloadJson: '{"score":3,"tags":["a"]}' },
    });
  });

  it('treats null optional fields as absent', () => {
    const result = parseEventInput({ ...valid, id: null, session_id: null, user_id: null, payload: null }, limits);
    expect(result).toEqual({ ok: true, value: expect.objectContaining({ id: null, session_id: null, user_id: null, payloadJson: '{}' }) });
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

  it('rejects a body that is not an object', () => {
    for (const raw of [null, 'event', 42, [valid]]) {
      const issues = issuesOf(raw);
      expect(issues).toHaveLength(1);
      expect(issues[0]!.field).toBe('body');
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
      const issues = issuesOf({ ...valid, [field]: 'x'.repeat(201) });
      expect(issues).toEqual([{ field, message: expect.stringContaining('200') }]);
      expect(issues[0]!.message).toContain('201');
    });

    it('rejects a non-string', () => {
      expect(fieldsOf({ ...valid, [field]: 7 })).toEqual([field]);
    });

    it('rejects an empty string, which would make a session that cannot be fetched', () => {
      expect(issuesOf({ ...valid, [field]: '' })).toEqual([{ field, message: expect.stringContaining('must not be empty') }]);
    });
  });

  describe.each(['source', 'session_id', 'user_id', 'id'] as const)('lone surrogates in %s', (field) => {
    it('are refused, naming the field and the code unit', () => {
      for (const [value, unit] of [['a\ud800b', '\\ud800'], ['\udc00', '\\udc00'], ['x\ud83d', '\\ud83d']] as const) {
        expect(issuesOf({ ...valid, [field]: value })).toEqual([
          { field, message: `contains a lone surrogate (${unit}); cannot be stored as sent` },
        ]);
      }
    });

    it('do not catch a well-formed surrogate pair', () => {
      const issues = field === 'session_id' || field === 'user_id' ? [] : issuesOf({ ...valid, [field]: 'a\ud83d\ude00' });
      for (const issue of issues) expect(issue.message).not.toContain('surrogate');
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

  it('echoes at most a short prefix of a huge unknown event type', () => {
    const [issue] = issuesOf({ ...valid, event_type: 'x'.repeat(1_000_000) });
    expect(issue!.message.length).toBeLessThan(600);
    expect(issue!.message).toContain('1000000 characters');
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
      expect(issues).toEqual([{ field: 'payload', message: expect.stringContaining('6 keys') }]);
    });

    it('limits the serialized size in UTF-8 bytes, not characters', () => {
      const byteLimits: PayloadLimits = { maxPayloadKeys: 10, maxPayloadBytes: 20, maxJsonDepth: 8 };
      // {"k":"…"} is 8 bytes of framing.
      expect(parseEventInput({ ...valid, payload: { k: 'x'.repeat(12) } }, byteLimits).ok).toBe(true);
      expect(issuesOf({ ...valid, payload: { k: 'x'.repeat(13) } }, byteLimits)).toEqual([
        { field: 'payload', message: expect.stringContaining('21 bytes') },
      ]);
      // Six characters but twelve bytes: ü is two bytes in UTF-8.
      expect(parseEventInput({ ...valid, payload: { k: 'ü'.repeat(6) } }, byteLimits).ok).toBe(true);
      expect(issuesOf({ ...valid, payload: { k: 'ü'.repeat(7) } }, byteLimits)[0]!.field).toBe('payload');
      // Four bytes per emoji (two UTF-16 units).
      expect(parseEventInput({ ...valid, payload: { k: '😀'.repeat(3) } }, byteLimits).ok).toBe(true);
      expect(issuesOf({ ...valid, payload: { k: '😀'.repeat(4) } }, byteLimits)[0]!.field).toBe('payload');
    });

    it('accepts exactly when the key count and the UTF-8 size are within limits', () => {
      const payloadArb = fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ unit: 'binary', maxLength: 20 }), { maxKeys: 8 });
      fc.assert(
        fc.property(payloadArb, (payload) => {
          const json = JSON.stringify(payload);
          const expected = Object.keys(payload).length <= limits.maxPayloadKeys && Buffer.byteLength(json, 'utf8') <= limits.maxPayloadBytes;
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

describe('fastEventShape', () => {
  // Values near every boundary of every rule, so both paths see valid and invalid cases often.
  const text = (max: number) =>
    fc.oneof(
      fc.string({ minLength: 0, maxLength: 3 }),
      fc.integer({ min: max - 1, max: max + 1 }).map((n) => 'a'.repeat(n)),
      fc.stringMatching(/^[A-Za-z0-9_.:-]{1,8}$/),
      fc.constantFrom('bad space', 'ünï', 'a/b', '', 'a:b', 'a\ud800b', '\udc00', 'ok\ud83d\ude00'),
    );
  const edge = fc.oneof(fc.constant(null), fc.constant(undefined), fc.integer(), fc.boolean(), fc.string({ maxLength: 3 }), text(100), text(200));
  // Valid records near every boundary, each with at most one field swapped for an edge value.
  const validRecord = fc.record({
    event_type: fc.constantFrom(...EVENT_TYPES),
    source: fc.oneof(fc.integer({ min: 1, max: 100 }).map((n) => 'a'.repeat(n)), fc.stringMatching(/^[A-Za-z0-9_.-]{1,10}$/)),
    session_id: fc.option(fc.integer({ min: 0, max: 200 }).map((n) => 's'.repeat(n)), { nil: undefined }),
    user_id: fc.option(fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 200 }).map((n) => 'ü'.repeat(n))), { nil: undefined }),
    payload: fc.option(fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 }), { nil: undefined }),
    id: fc.option(fc.oneof(fc.integer({ min: 1, max: 100 }).map((n) => 'i'.repeat(n)), fc.stringMatching(/^[A-Za-z0-9_.:-]{1,10}$/)), { nil: undefined }),
  });
  const candidate = fc
    .tuple(validRecord, fc.constantFrom('none', 'event_type', 'source', 'session_id', 'user_id', 'payload', 'id'), edge)
    .map(([record, swap, value]) => (swap === 'none' ? record : { ...record, [swap]: value }));

  it('accepts exactly what the valibot schema accepts, with the same output', () => {
    fc.assert(
      fc.property(fc.oneof({ arbitrary: candidate, weight: 4 }, { arbitrary: fc.anything(), weight: 1 }), (raw) => {
        const schema = v.safeParse(EventInputSchema, raw);
        const fast = fastEventShape(raw);
        if (Array.isArray(raw)) return; // parseEventInput rejects arrays before either path
        expect(fast !== null).toBe(schema.success);
        if (fast !== null && schema.success) {
          const normalize = (shape: Record<string, unknown>) => Object.fromEntries(Object.entries(shape).filter(([, value]) => value !== undefined));
          expect(normalize(fast)).toEqual(normalize(schema.output));
        }
      }),
      { numRuns: 2000 },
    );
  });
});
