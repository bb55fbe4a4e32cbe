import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { parseEventInput } from './eventInput.js';
import type { Issue } from './issue.js';
import { optionalKey } from './optionalKey.js';

const limits = { maxPayloadKeys: 5, maxPayloadBytes: 200, maxJsonDepth: 8 };
const valid = { event_type: 'quiz_started', source: 'quiz-service' };

/** The issues of an event parse that must fail. */
function issuesOf(raw: unknown): readonly Issue[] {
  const result = parseEventInput(raw, limits);
  if (result.ok) throw new Error(`expected a failure for ${JSON.stringify(raw)}`);
  return result.issues;
}

describe('optionalKey', () => {
  const stored = optionalKey(5, 'stored');
  const filter = optionalKey(5, 'filter');
  const messages = (schema: typeof stored | typeof filter, value: unknown) => {
    const result = v.safeParse(schema, value);
    return result.success ? [] : result.issues.map((issue) => issue.message);
  };

  it('accepts absent and null, and says a value that is not a string must be one (both uses)', () => {
    for (const schema of [stored, filter]) {
      expect(messages(schema, undefined)).toEqual([]);
      expect(messages(schema, null)).toEqual([]);
      // Before: 'user_id must be a string', which every reply showed after the path as `user_id: user_id must be …`.
      expect(messages(schema, 7)).toEqual(['must be a string']);
      expect(messages(schema, 'x'.repeat(6))).toEqual(['must be at most 5 characters (got 6)']);
    }
  });

  it('counts characters as code points, as the old service did: an emoji is one, not two UTF-16 units', () => {
    for (const schema of [stored, filter]) {
      expect(messages(schema, '😀'.repeat(5))).toEqual([]);
      expect(messages(schema, `${'😀'.repeat(5)}a`)).toEqual(['must be at most 5 characters (got 6)']);
    }
    expect(parseEventInput({ ...valid, session_id: '😀'.repeat(200) }, limits).ok).toBe(true);
    expect(issuesOf({ ...valid, session_id: '😀'.repeat(201) })).toEqual([
      {
        field: 'session_id',
        message: 'must be at most 200 characters (got 201)',
        kind: { rule: 'too_long', max: 200, input: '😀'.repeat(201) },
      },
    ]);
  });

  it('refuses empty strings only for stored values (an empty filter means none), ill-formed ones for both', () => {
    expect(messages(stored, '')).toEqual(['must not be empty (omit it or send null for no value)']);
    expect(messages(stored, 'a\ud800')).toEqual(['contains a lone surrogate (\\ud800); cannot be stored as sent']);
    expect(messages(filter, '')).toEqual([]);
    // Hint: no stored event holds a lone surrogate, so such a filter would wait for nothing.
    expect(messages(filter, 'a\ud800')).toEqual(['contains a lone surrogate (\\ud800); no stored event can match it']);
    expect(messages(filter, 'a\ud83d\ude00')).toEqual([]);
  });
});

describe.each(['source', 'session_id', 'user_id', 'id'] as const)('lone surrogates in %s', (field) => {
  it('are refused, naming the field and the code unit', () => {
    for (const [value, unit] of [
      ['a\ud800b', '\\ud800'],
      ['\udc00', '\\udc00'],
      ['x\ud83d', '\\ud83d'],
    ] as const) {
      expect(issuesOf({ ...valid, [field]: value })).toEqual([
        { field, message: `contains a lone surrogate (${unit}); cannot be stored as sent` },
      ]);
    }
  });

  it('do not catch a well-formed surrogate pair', () => {
    const issues =
      field === 'session_id' || field === 'user_id' ? [] : issuesOf({ ...valid, [field]: 'a\ud83d\ude00' });
    for (const issue of issues) expect(issue.message).not.toContain('surrogate');
  });
});
