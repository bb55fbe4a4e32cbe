import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalMemberText, canonicalObjectEnd, MAX_SCANNED_KEYS } from './canonicalJson.js';

// Hint: keys and values chosen to hit escapes, repeated and nested keys, digit keys and every kind of JSON value.
const key = fc.constantFrom('quiz_id', 'a', 'quiz', 'quiz_id ', '0', '__proto__', 'qu"iz', 'é');
const leaf = fc.oneof(
  fc.constantFrom('1', '-0.5', '1e+21', '"q1"', '""', '"a\\"b"', '"é😀"', 'true', 'false', 'null'),
  fc.integer().map(String),
  fc.string({ maxLength: 6 }).map((s) => JSON.stringify(s)),
);
const value: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('value'), { maxLength: 3 }).map((items) => `[${items.join(',')}]`),
    fc
      .array(fc.tuple(key, tie('value')), { maxLength: 3 })
      .map((members) => `{${members.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`),
  ),
})).value;
/** An object text, keys possibly repeated; `spaced` adds whitespace JSON allows and the canonical form has not. */
const objectText = fc.tuple(fc.array(fc.tuple(key, value), { maxLength: 5 }), fc.boolean()).map(([members, spaced]) => {
  const sep = spaced ? ', ' : ',';
  return `{${members.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(sep)}}`;
});

describe('canonicalMemberText', () => {
  it('agrees with JSON.parse on every object text it answers for', () => {
    fc.assert(
      fc.property(objectText, (text) => {
        const parsed = JSON.parse(text) as Record<string, unknown>;
        const found = canonicalMemberText(text, 'quiz_id');
        if (found === undefined) return;
        if (found === null) expect(Object.hasOwn(parsed, 'quiz_id')).toBe(false);
        else expect(JSON.parse(found)).toEqual(parsed.quiz_id);
      }),
      { numRuns: 2_000 },
    );
  });

  it('answers for every text in JSON.stringify form without escapes or nested digit keys', () => {
    const plain = fc.dictionary(
      fc.constantFrom('quiz_id', 'a', 'b', 'quiz'),
      fc.oneof(
        fc.integer(),
        fc.constantFrom('q1', 'x y', 'é'),
        fc.boolean(),
        fc.constant(null),
        fc.dictionary(fc.constantFrom('quiz_id', 'c'), fc.integer()),
        fc.array(fc.integer(), { maxLength: 3 }),
      ),
    );
    fc.assert(
      fc.property(plain, (payload) => {
        const found = canonicalMemberText(JSON.stringify(payload), 'quiz_id');
        if (found === undefined) throw new Error(`no answer for ${JSON.stringify(payload)}`);
        expect(found === null ? undefined : JSON.parse(found)).toEqual(payload.quiz_id);
      }),
      { numRuns: 500 },
    );
  });

  it('takes the last of repeated keys, skips nested ones, and leaves non-canonical text to the caller', () => {
    expect(canonicalMemberText('{"quiz_id":"a","x":1,"quiz_id":"b"}', 'quiz_id')).toBe('"b"');
    expect(canonicalMemberText('{"x":{"quiz_id":1},"y":["quiz_id"]}', 'quiz_id')).toBeNull();
    expect(canonicalMemberText('{"quiz_id":{"a":[1,2]}}', 'quiz_id')).toBe('{"a":[1,2]}');
    expect(canonicalMemberText('{}', 'quiz_id')).toBeNull();
    expect(canonicalMemberText('{"quiz_id": 1}', 'quiz_id')).toBeUndefined();
    expect(canonicalMemberText('{"quiz\\u005fid":1}', 'quiz_id')).toBeUndefined();
    expect(canonicalMemberText('[{"quiz_id":1}]', 'quiz_id')).toBeUndefined();
    expect(canonicalMemberText('{"a":1} ', 'quiz_id')).toBeUndefined();
    // Found, and the rest does not hold the key again: the rest is not read (the text is known to be valid JSON).
    expect(canonicalMemberText('{"quiz_id":1,"b":[ 2 ]}', 'quiz_id')).toBe('1');
    expect(canonicalMemberText('{"quiz_id":1,"b":{"quiz_id":2}}', 'quiz_id')).toBe('1');
    // Another member's value is skipped whatever it holds: quotes, brackets and commas inside strings, escapes.
    expect(canonicalMemberText('{"a":"x\\",}]","b":[{"c":"{"}, 1],"quiz_id":2}', 'quiz_id')).toBe('2');
  });
});

describe('canonicalObjectEnd', () => {
  it('counts only the outer keys, and a key seen in a nested object or an earlier text is no repeat', () => {
    const nested = '{"a":{"a":1,"x":[{"a":2}]},"b":{"b":{}},"x":0}';
    for (let round = 0; round < 3; round++) {
      expect(canonicalObjectEnd(nested, 0, 10)).toEqual({ end: nested.length, keys: 3 });
      expect(canonicalObjectEnd('{"b":1,"a":2}', 0, 10)).toEqual({ end: 13, keys: 2 });
    }
    expect(canonicalObjectEnd('{"a":1,"b":{"c":2},"a":3}', 0, 10).end).toBe(-1);
    // A failed scan (depth exceeded inside) leaves nothing behind for the next one.
    expect(canonicalObjectEnd('{"a":{"b":{"c":1}}}', 0, 1).end).toBe(-1);
    expect(canonicalObjectEnd('{"c":1,"b":2}', 0, 10)).toEqual({ end: 13, keys: 2 });
  });

  it('leaves an object of more than MAX_SCANNED_KEYS keys to the general path, so its scan stays linear', () => {
    const objectOf = (n: number) =>
      JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, k) => [`k${k}`, k])));
    const most = objectOf(MAX_SCANNED_KEYS);
    expect(canonicalObjectEnd(most, 0, 10)).toEqual({ end: most.length, keys: MAX_SCANNED_KEYS });
    expect(canonicalObjectEnd(objectOf(MAX_SCANNED_KEYS + 1), 0, 10).end).toBe(-1);
    // Nested: the bound is per object, and a big inner object fails the whole scan (its member text too).
    const inner = `{"a":${objectOf(MAX_SCANNED_KEYS + 1)},"quiz_id":"q1"}`;
    expect(canonicalObjectEnd(inner, 0, 10).end).toBe(-1);
    // The member scan only skips the other members' values, so it still answers.
    expect(canonicalMemberText(inner, 'quiz_id')).toBe('"q1"');
    expect(canonicalMemberText(`{"quiz_id":${objectOf(MAX_SCANNED_KEYS + 1)}}`, 'quiz_id')).toBeUndefined();
    expect(canonicalObjectEnd(`{"a":${most},"b":1}`, 0, 10).keys).toBe(2);
  });
});
