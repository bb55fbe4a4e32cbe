import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../src/protocol/eventTypes.js';
import { getJson, publish } from './support/httpCall.js';
import { startTestServer, type TestServer } from './support/testServer.js';

const ALLOWED = EVENT_TYPES.join(', ');

/**
 * Whole 422 bodies, as a FastAPI 0.129 / pydantic 2.12 client reads them: each entry's `type`, `input` and `ctx` are
 * pydantic's for the old models' rules (our `msg` names the field and the reason).
 */
describe('422 detail entries follow pydantic', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ LOG_REQUESTS: 'false' });
  });
  afterAll(async () => {
    await t.stop();
  });

  it.each([
    [
      'a missing source',
      { event_type: 'quiz_started' },
      {
        type: 'missing',
        loc: ['body', 'source'],
        msg: 'source: field required',
        input: { event_type: 'quiz_started' },
      },
    ],
    [
      'a source that is a number',
      { event_type: 'quiz_started', source: 5 },
      { type: 'string_type', loc: ['body', 'source'], msg: 'source: must be a string', input: 5 },
    ],
    [
      'a payload that is an array',
      { event_type: 'quiz_started', source: 's', payload: [1, 2] },
      { type: 'dict_type', loc: ['body', 'payload'], msg: 'payload: must be a JSON object', input: [1, 2] },
    ],
    [
      'a source failing its pattern',
      { event_type: 'quiz_started', source: 'a b' },
      {
        type: 'string_pattern_mismatch',
        loc: ['body', 'source'],
        msg: 'source: may contain only letters, digits, "_", "." and "-"',
        input: 'a b',
        ctx: { pattern: String.raw`^[a-zA-Z0-9_\-\.]+$` },
      },
    ],
    [
      'a too-long session_id',
      { event_type: 'quiz_started', source: 's', session_id: 'x'.repeat(201) },
      {
        type: 'string_too_long',
        loc: ['body', 'session_id'],
        msg: 'session_id: must be at most 200 characters (got 201)',
        input: 'x'.repeat(201),
        ctx: { max_length: 200 },
      },
    ],
    [
      'an unknown event_type',
      { event_type: 'quiz_exploded', source: 's' },
      {
        type: 'value_error',
        loc: ['body', 'event_type'],
        msg: `event_type: unknown event type "quiz_exploded"; allowed: ${ALLOWED}`,
        input: 'quiz_exploded',
        ctx: { error: {} },
      },
    ],
  ])('POST /events: %s', async (_name, body, entry) => {
    const res = await publish(t.base, body);
    expect([res.status, res.body]).toEqual([422, { detail: [entry] }]);
  });

  it('GET /events?limit=abc: int_parsing', async () => {
    const res = await getJson(t.base, '/events?limit=abc');
    expect([res.status, res.body]).toEqual([
      422,
      {
        detail: [
          {
            type: 'int_parsing',
            loc: ['query', 'limit'],
            msg: 'limit: must be an integer from 1 to 1000 (got "abc")',
            input: 'abc',
          },
        ],
      },
    ]);
  });

  it('keeps value_error alone for a rule of ours (a producer id)', async () => {
    const res = await publish(t.base, { event_type: 'quiz_started', source: 's', id: 'a b' });
    expect([res.status, res.body]).toEqual([
      422,
      {
        detail: [
          {
            type: 'value_error',
            loc: ['body', 'id'],
            msg: 'id: may contain only letters, digits, "_", ".", ":" and "-"',
          },
        ],
      },
    ]);
  });
});
