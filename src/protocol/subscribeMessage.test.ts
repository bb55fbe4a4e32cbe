import { describe, expect, it } from 'vitest';
import {
  describeFilter,
  ignoredFilterKeys,
  ignoredSubscribeKeys,
  parseFilters,
  parseSubscribe,
} from './subscribeMessage.js';

describe('parseSubscribe', () => {
  it('accepts the legacy snippet and defaults the rest', () => {
    expect(
      parseSubscribe({ event_types: ['quiz_started', 'answer_submitted', 'quiz_started'], session_id: 'session-123' }),
    ).toEqual({
      ok: true,
      value: {
        filter: { event_types: ['quiz_started', 'answer_submitted'], session_id: 'session-123' },
        from_offset: null,
        batch: false,
        checkpoints: false,
      },
    });
  });

  it('treats null and empty filter fields as absent', () => {
    const parsed = parseSubscribe({ event_types: [], session_id: null, from_offset: null });
    expect(parsed).toEqual({ ok: true, value: { filter: {}, from_offset: null, batch: false, checkpoints: false } });
  });

  it.each([[[]], [[{ event_types: ['quiz_started'] }]], [null], ['x'], [3]])(
    'rejects %j as not a JSON object',
    (raw) => {
      expect(parseSubscribe(raw)).toEqual({
        ok: false,
        issues: [{ field: 'message', message: 'subscribe message must be a JSON object' }],
      });
    },
  );

  it('names the offending field', () => {
    const parsed = parseSubscribe({ event_types: ['quiz_started', 'nope'], from_offset: -2 });
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.issues.map((i) => i.field).sort()).toEqual(['event_types[1]', 'from_offset']);
  });

  it('names only the first unknown event type, however long the list', () => {
    const valid = Array.from({ length: 100_000 }, () => 'quiz_started');
    expect(parseSubscribe({ event_types: valid })).toMatchObject({
      ok: true,
      value: { filter: { event_types: ['quiz_started'] } },
    });
    const unknown = Array.from({ length: 100_000 }, (_, i) => `t${i}`);
    for (const [event_types, field] of [
      [unknown, 'event_types[0]'],
      [[...valid, 'nope', 'nah'], 'event_types[100000]'],
    ] as const) {
      const parsed = parseSubscribe({ event_types, from_offset: -1 });
      expect(parsed.ok || parsed.issues.map((issue) => issue.field)).toEqual([field, 'from_offset']);
    }
  });

  it('echoes an unknown name cut short and says a value that is not a string must be one', () => {
    const names: unknown[] = ['x'.repeat(100_000), 3, { a: 'y'.repeat(100_000) }, ['z']];
    const messages = names.map((name) => {
      const parsed = parseSubscribe({ event_types: ['quiz_started', name] });
      return parsed.ok ? '' : parsed.issues[0]!.message;
    });
    expect(messages.map((message) => message.split(';')[0])).toEqual([
      `unknown event type ${JSON.stringify('x'.repeat(40))}… (100000 characters)`,
      'must be a string',
      'must be a string',
      'must be a string',
    ]);
    expect(messages.every((message) => message.length < 400)).toBe(true);
  });
});

describe('parseFilters', () => {
  it.each([[[]], [null], ['x']])('rejects %j, naming "filters"', (raw) => {
    expect(parseFilters(raw)).toEqual({
      ok: false,
      issues: [{ field: 'filters', message: 'filters must be a JSON object' }],
    });
  });

  it('prefixes nested fields with "filters."', () => {
    const parsed = parseFilters({ user_id: 5 });
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.issues).toEqual([{ field: 'filters.user_id', message: 'must be a string' }]);
  });

  it('says once that a filter value must be a string, the field named only by its path', () => {
    // Before: `session_id must be a string` and `source must be a string`, shown as `session_id: session_id must …`.
    for (const field of ['session_id', 'user_id', 'source']) {
      expect(parseFilters({ [field]: 5 })).toEqual({
        ok: false,
        issues: [{ field: `filters.${field}`, message: 'must be a string' }],
      });
      expect(parseSubscribe({ [field]: [] })).toEqual({ ok: false, issues: [{ field, message: 'must be a string' }] });
    }
  });

  it('round-trips through describeFilter with every field present', () => {
    const parsed = parseFilters({ source: 'quiz_engine' });
    expect(parsed.ok && describeFilter(parsed.value)).toEqual({
      event_types: null,
      session_id: null,
      user_id: null,
      source: 'quiz_engine',
    });
  });
});

describe('the source filter', () => {
  it('is refused when no event could have it, in the subscription and in filters, and "" still means none', () => {
    const subscribed = parseSubscribe({ source: 'quiz engine' });
    expect(subscribed).toEqual({
      ok: false,
      issues: [
        { field: 'source', message: 'may contain only letters, digits, "_", "." and "-", as an event\'s source does' },
      ],
    });
    expect(parseFilters({ source: 'x'.repeat(101) })).toEqual({
      ok: false,
      issues: [{ field: 'filters.source', message: "must be at most 100 characters, as an event's source is" }],
    });
    expect(parseFilters({ source: '' })).toEqual({ ok: true, value: {} });
    expect(parseFilters({ source: 'quiz-engine.v2_1' })).toEqual({ ok: true, value: { source: 'quiz-engine.v2_1' } });
  });
});

describe('session and user filters', () => {
  it('are refused holding a lone surrogate, which no stored event can have', () => {
    expect(parseSubscribe({ session_id: 's\udc00' })).toMatchObject({
      ok: false,
      issues: [{ field: 'session_id', message: 'contains a lone surrogate (\\udc00); no stored event can match it' }],
    });
    expect(parseFilters({ user_id: '\ud800' })).toMatchObject({
      ok: false,
      issues: [
        { field: 'filters.user_id', message: 'contains a lone surrogate (\\ud800); no stored event can match it' },
      ],
    });
  });
});

describe('ignored keys', () => {
  it('lists subscribe keys that are not part of the protocol, and "type" unless it says "subscribe"', () => {
    expect(
      ignoredSubscribeKeys({ sessionId: 'a', session_id: 'b', type: 'subscribe', from_offset: 1, extra: 1 }),
    ).toEqual(['sessionId', 'extra']);
    expect(ignoredSubscribeKeys({ session_id: 'b' })).toEqual([]);
    expect(ignoredSubscribeKeys({ type: 'bogus', sessionId: 'a' })).toEqual(['type', 'sessionId']);
    expect(ignoredSubscribeKeys({ type: null })).toEqual(['type']);
    expect(ignoredSubscribeKeys([1, 2])).toEqual([]);
    expect(parseSubscribe({ sessionId: 'a' }).ok).toBe(true);
  });

  it('lists update_filters keys outside the protocol, top level and inside filters', () => {
    expect(ignoredFilterKeys({ type: 'update_filters', filters: { userId: 'u', user_id: 'u' } })).toEqual(['userId']);
    expect(ignoredFilterKeys({ type: 'update_filters', session_id: 's', filters: {} })).toEqual(['session_id']);
    expect(ignoredFilterKeys({ type: 'update_filters' })).toEqual([]);
  });
});
