import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Issue } from './issue.js';
import { ignoredParamsHeader, parseCount, parseLimit, readQuery, unknownParams } from './queryParams.js';

describe('parseCount', () => {
  it('takes decimal digits from 0 to the maximum, and the fallback when absent or empty', () => {
    const issues: Issue[] = [];
    const read = (text: string | undefined) => parseCount('user_limit', text, issues, 1000, 1000);
    expect([read(undefined), read(''), read('0'), read('007'), read('1000')]).toEqual([1000, 1000, 0, 7, 1000]);
    expect(parseCount('user_skip', '123456789012', issues)).toBe(123_456_789_012);
    expect(issues).toEqual([]);
  });

  it.each(['-1', '1001', '1e3', '10.0', ' 5', 'ten'])('refuses %j naming the field and its range', (text) => {
    const issues: Issue[] = [];
    expect(parseCount('user_limit', text, issues, 1000, 1000)).toBe(1000);
    expect(issues).toEqual([
      { field: 'user_limit', message: expect.stringMatching(/^must be an integer from 0 to 1000 \(got /) },
    ]);
  });

  it('refuses past the largest safe integer where there is no maximum', () => {
    const issues: Issue[] = [];
    expect(parseCount('user_skip', '9007199254740993', issues)).toBe(0);
    expect(issues).toEqual([
      { field: 'user_skip', message: 'must be an integer of 0 or more (got "9007199254740993")' },
    ]);
  });
});

describe('parseLimit', () => {
  it('takes decimal digits from 1 to the maximum, and the fallback when absent or empty', () => {
    const issues: Issue[] = [];
    expect([parseLimit(undefined, issues), parseLimit('', issues), parseLimit('7', issues)]).toEqual([100, 100, 7]);
    expect([parseLimit('007', issues), parseLimit('1000', issues), parseLimit('3', issues, 10, 5)]).toEqual([
      7, 1000, 3,
    ]);
    expect(issues).toEqual([]);
  });

  // Hint: kinds are the old service's (`int`, ge=1, le=1000); `10.0`, ` 5`, `+5` and `1_0` it took, so only ours refuses them.
  it.each([
    ['0', { rule: 'ge', bound: 1 }],
    ['1001', { rule: 'le', bound: 1000 }],
    ['-1', { rule: 'ge', bound: 1 }],
    ['1e3', { rule: 'int_parsing' }],
    ['0x10', { rule: 'int_parsing' }],
    ['10.0', undefined],
    [' 5', undefined],
    ['5 ', undefined],
    ['+5', undefined],
    ['1_0', undefined],
    ['1__0', { rule: 'int_parsing' }],
    ['_10', { rule: 'int_parsing' }],
    ['2_000', { rule: 'le', bound: 1000 }],
    ['ten', { rule: 'int_parsing' }],
    ['٣', { rule: 'int_parsing' }],
  ] as const)('refuses %j naming limit', (text, kind) => {
    const issues: Issue[] = [];
    expect(parseLimit(text, issues)).toBe(100);
    const message = expect.stringMatching(/^must be an integer from 1 to 1000 \(got /);
    expect(issues).toEqual([
      kind === undefined ? { field: 'limit', message } : { field: 'limit', message, kind: { ...kind, input: text } },
    ]);
  });

  it('accepts a text exactly when it is the decimal form of an integer in range (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.integer({ min: -5, max: 1005 }).map(String)), (text) => {
        const issues: Issue[] = [];
        const limit = parseLimit(text, issues);
        const valid = /^\d+$/.test(text) && Number(text) >= 1 && Number(text) <= 1000;
        expect(issues.length === 0).toBe(valid || text === '');
        if (valid) expect(limit).toBe(Number(text));
      }),
    );
  });
});

describe('readQuery', () => {
  it('joins repeated event_type values into one list and keeps the last value of any other repeated name', () => {
    const map = readQuery('event_type=quiz_started&limit=5&event_type=timer_tick&limit=7&session_id=s');
    expect(Object.fromEntries(map)).toEqual({ event_type: 'quiz_started,timer_tick', limit: '7', session_id: 's' });
    expect(readQuery('event_type=quiz_started').get('event_type')).toBe('quiz_started');
    expect(readQuery('').size).toBe(0);
  });
});

describe('unknownParams', () => {
  it('names each unknown parameter once, in order of appearance, decoded', () => {
    const known = new Set(['limit', 'session_id']);
    const params = readQuery('sesion_id=a&limit=1&x=1&sesion_id=b&a%20b=2');
    expect(unknownParams(params, known)).toEqual(['sesion_id', 'x', 'a b']);
    expect(unknownParams(readQuery('limit=1&session_id=s'), known)).toEqual([]);
  });
});

describe('ignoredParamsHeader', () => {
  it('sends nothing for no names, and the names comma-separated otherwise', () => {
    expect(ignoredParamsHeader([])).toEqual({});
    expect(ignoredParamsHeader(['sesion_id', 'x'])).toEqual({ 'X-Ignored-Query-Params': 'sesion_id, x' });
  });

  it('encodes what could break the header and bounds its size', () => {
    const header = ignoredParamsHeader(['a\r\nSet-Cookie: x=1', 'b,c'])['X-Ignored-Query-Params'];
    expect(header).toBe('a%0D%0ASet-Cookie%3A%20x%3D1, b%2Cc');
    const many = ignoredParamsHeader(Array.from({ length: 12 }, (_, i) => `p${i}`))['X-Ignored-Query-Params'];
    expect(many?.split(', ')).toEqual([...Array.from({ length: 10 }, (_, i) => `p${i}`), '...']);
  });

  it('is printable ASCII of bounded length for any names, surrogate pairs included (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme', maxLength: 200 }), { maxLength: 30 }), (names) => {
        const header = ignoredParamsHeader(names)['X-Ignored-Query-Params'] ?? '';
        expect(header).toMatch(/^[\x20-\x7e]*$/);
        // Ten names of at most 64 code points, each at most 12 bytes once encoded, and the separators.
        expect(header.length).toBeLessThanOrEqual(10 * 64 * 12 + 11 * 2 + 3);
      }),
    );
  });
});
