import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { EventInputSchema } from './eventInput.js';
import { LEGACY_SOURCE_PATTERN, legacyEventKind } from './legacyIssueKinds.js';

const valid = { event_type: 'quiz_started', source: 'quiz_engine' };
const kindsOf = (raw: unknown) => {
  const result = v.safeParse(EventInputSchema, raw);
  return result.success ? [] : result.issues.map(legacyEventKind);
};

describe('legacyEventKind', () => {
  it('names the old model rule each field breaks', () => {
    expect(kindsOf({ event_type: 'quiz_started' })).toEqual([
      { rule: 'missing', input: { event_type: 'quiz_started' } },
    ]);
    expect(kindsOf({ ...valid, event_type: 'nope' })).toEqual([{ rule: 'validator', input: 'nope' }]);
    expect(kindsOf({ ...valid, event_type: 5 })).toEqual([{ rule: 'type', expected: 'string', input: 5 }]);
    // Hint: pydantic reports a string's first failing constraint alone; our pattern issue after it is ours.
    expect(kindsOf({ ...valid, source: '' })).toEqual([{ rule: 'too_short', min: 1, input: '' }, undefined]);
    expect(kindsOf({ ...valid, source: 'a'.repeat(101) })).toEqual([
      { rule: 'too_long', max: 100, input: 'a'.repeat(101) },
    ]);
    expect(kindsOf({ ...valid, source: 'a b' })).toEqual([
      { rule: 'pattern', pattern: LEGACY_SOURCE_PATTERN, input: 'a b' },
    ]);
    expect(kindsOf({ ...valid, user_id: 'u'.repeat(201) })).toEqual([
      { rule: 'too_long', max: 200, input: 'u'.repeat(201) },
    ]);
    expect(kindsOf({ ...valid, payload: [1] })).toEqual([{ rule: 'type', expected: 'dict', input: [1] }]);
    expect(kindsOf(7)).toEqual([{ rule: 'type', expected: 'model', input: 7 }]);
  });

  it('gives no kind to rules the old model did not have: producer ids, empty keys, lone surrogates', () => {
    expect(kindsOf({ ...valid, id: 'a b' })).toEqual([undefined]);
    expect(kindsOf({ ...valid, id: 7 })).toEqual([undefined]);
    expect(kindsOf({ ...valid, session_id: '' })).toEqual([undefined]);
    expect(kindsOf({ ...valid, source: 'a\ud800' })).toEqual([undefined]);
    expect(kindsOf({ ...valid, user_id: `${'u'.repeat(201)}\ud800` })).toEqual([
      { rule: 'too_long', max: 200, input: `${'u'.repeat(201)}\ud800` },
      undefined,
    ]);
  });

  it('echoes the pattern as pydantic does, the Python raw string of the old model', () => {
    expect(LEGACY_SOURCE_PATTERN).toBe(String.raw`^[a-zA-Z0-9_\-\.]+$`);
  });
});
