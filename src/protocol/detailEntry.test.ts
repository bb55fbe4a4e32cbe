import { describe, expect, it } from 'vitest';
import { detailEntryOf, MAX_INPUT_JSON_CHARS } from './detailEntry.js';
import type { IssueKind } from './issue.js';

const entry = (kind: IssueKind | undefined, field = 'source', where: 'body' | 'query' = 'body') =>
  detailEntryOf(kind === undefined ? { field, message: 'why' } : { field, message: 'why', kind }, where);

describe('detailEntryOf', () => {
  it('gives a rule of ours value_error alone, at the loc of its field', () => {
    expect(entry(undefined, '[3].payload.a')).toEqual({
      loc: ['body', 3, 'payload', 'a'],
      msg: '[3].payload.a: why',
      type: 'value_error',
    });
    expect(entry(undefined, 'body')).toEqual({ loc: ['body'], msg: 'body: why', type: 'value_error' });
  });

  it.each([
    [{ rule: 'missing', input: { event_type: 'quiz_started' } }, 'missing', undefined],
    [{ rule: 'type', expected: 'string', input: 5 }, 'string_type', undefined],
    [{ rule: 'type', expected: 'dict', input: [] }, 'dict_type', undefined],
    [{ rule: 'type', expected: 'model', input: 'hi' }, 'model_attributes_type', undefined],
    [{ rule: 'int_parsing', input: 'abc' }, 'int_parsing', undefined],
    [{ rule: 'too_short', min: 1, input: '' }, 'string_too_short', { min_length: 1 }],
    [{ rule: 'too_long', max: 200, input: 'x' }, 'string_too_long', { max_length: 200 }],
    [{ rule: 'pattern', pattern: '^a$', input: 'b' }, 'string_pattern_mismatch', { pattern: '^a$' }],
    [{ rule: 'ge', bound: 1, input: '0' }, 'greater_than_equal', { ge: 1 }],
    [{ rule: 'le', bound: 1000, input: '1001' }, 'less_than_equal', { le: 1000 }],
    [{ rule: 'validator', input: 'nope' }, 'value_error', { error: {} }],
  ] as const)('maps %j to pydantic type %s with its ctx and input', (kind, type, ctx) => {
    const expected = { type, loc: ['body', 'source'], msg: 'source: why', input: kind.input };
    expect(entry(kind)).toEqual(ctx === undefined ? expected : { ...expected, ctx });
  });

  it('answers a null body as FastAPI does, missing, but a null item of a batch as not an object', () => {
    const kind = { rule: 'type', expected: 'model', input: null } as const;
    expect(entry(kind, 'body')).toEqual({ type: 'missing', loc: ['body'], msg: 'body: why', input: null });
    expect(entry(kind, '[1]').type).toBe('model_attributes_type');
  });

  it('leaves out an input too large to echo, or too deep to serialize, keeping type and ctx', () => {
    const long = 'x'.repeat(MAX_INPUT_JSON_CHARS);
    expect(entry({ rule: 'too_long', max: 200, input: long.slice(2) })).toHaveProperty('input');
    expect(entry({ rule: 'too_long', max: 200, input: long })).toEqual({
      type: 'string_too_long',
      loc: ['body', 'source'],
      msg: 'source: why',
      ctx: { max_length: 200 },
    });
    let deep: unknown = [];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(entry({ rule: 'type', expected: 'model', input: deep }, '[0]')).not.toHaveProperty('input');
  });

  it('names query parameters under query', () => {
    expect(entry({ rule: 'int_parsing', input: 'abc' }, 'limit', 'query').loc).toEqual(['query', 'limit']);
  });
});
