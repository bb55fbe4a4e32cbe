import { invalidTimestamp } from './timestamp.js';

// Hint: each example is the answer to the request it names, word for word; the docs test sends every one of them to
// a real server and compares (a shared 400 example once showed a message no operation ever sent).

/** One refusal an operation documents: the request that gets it and the answer's body, exactly. */
export interface RefusalExample {
  /** The example's key in the document. */
  readonly name: string;
  /** The request's path when the operation's has parameters (`/events/no-such-id`). */
  readonly path?: string;
  /** The request's query string, without `?`. */
  readonly query?: string;
  /** The request's body: text, or the bytes of one that is not UTF-8 text. */
  readonly body?: string | readonly number[];
  readonly value: unknown;
}

/** What one operation says about one error status: its own words, and the refusals it answers with it. */
export interface RefusalDoc {
  readonly description: string;
  readonly examples: readonly RefusalExample[];
}

/** An operation's own refusals, by status. */
export type Refusals = Readonly<Partial<Record<400 | 404 | 422, RefusalDoc>>>;

/** The 422 words every operation with query parameters shares. */
const QUERY_422 = 'A query parameter out of its range or not of its type: one entry per parameter at fault';

const detail = (text: string) => ({ detail: text });
const badTimestamp = (name: string, text: string) => detail(`${name}: ${invalidTimestamp(text)}`);
const limitRange = (got: string, type: 'greater_than_equal' | 'less_than_equal') => ({
  detail: [
    {
      type,
      loc: ['query', 'limit'],
      msg: `limit: must be an integer from 1 to 1000 (got "${got}")`,
      input: got,
      ctx: type === 'greater_than_equal' ? { ge: 1 } : { le: 1000 },
    },
  ],
});

/** POST /events. */
export const PUBLISH_REFUSALS: Refusals = {
  400: {
    description:
      'A body whose bytes are not UTF-8 text (FastAPI\'s "There was an error parsing the body: …"); nothing is stored',
    examples: [
      {
        name: 'not-utf8',
        body: [0x7b, 0xff, 0xfe, 0x7d],
        value: detail('There was an error parsing the body: not valid UTF-8'),
      },
      {
        name: 'utf16',
        body: [0x7b, 0x00, 0x7d, 0x00],
        value: detail('There was an error parsing the body: it looks like UTF-16 or UTF-32; send UTF-8'),
      },
    ],
  },
  422: {
    description:
      'Validation failed, one entry per field at fault (a batch names the item: `[3].source`); a body that is not JSON (`type: json_invalid`, `loc: ["body", position]`, the reason in `ctx.error`) or is empty (`type: missing`, `loc: ["body"]`), as FastAPI answers them; nothing is stored',
    examples: [
      {
        name: 'missing-field',
        body: '{"event_type":"quiz_started"}',
        value: {
          detail: [
            {
              type: 'missing',
              loc: ['body', 'source'],
              msg: 'source: field required',
              input: { event_type: 'quiz_started' },
            },
          ],
        },
      },
      {
        name: 'json-invalid',
        body: '{"event_type": "quiz_started", x}',
        value: {
          detail: [
            {
              type: 'json_invalid',
              loc: ['body', 31],
              msg: 'JSON decode error at position 31: Expected double-quoted property name',
              input: {},
              ctx: { error: 'Expected double-quoted property name' },
            },
          ],
        },
      },
      {
        name: 'empty-body',
        body: '',
        value: {
          detail: [
            {
              type: 'missing',
              loc: ['body'],
              msg: 'Field required: the body is empty; send one event or a JSON array of events',
              input: null,
            },
          ],
        },
      },
      {
        name: 'empty-batch',
        body: '[]',
        value: { detail: [{ loc: ['body'], msg: 'body: must contain at least one event', type: 'value_error' }] },
      },
    ],
  },
};

/** GET /events. */
export const QUERY_REFUSALS: Refusals = {
  400: {
    description: 'A `since` or `until` that is not an ISO 8601 timestamp',
    examples: [
      { name: 'since', query: 'since=yesterday', value: badTimestamp('since', 'yesterday') },
      { name: 'until', query: 'until=2026-13-01', value: badTimestamp('until', '2026-13-01') },
    ],
  },
  422: {
    description: `${QUERY_422}; a \`source\`, \`session_id\` or \`user_id\` no stored event can have`,
    examples: [
      { name: 'limit', query: 'limit=0', value: limitRange('0', 'greater_than_equal') },
      {
        name: 'source',
        query: 'source=has%20space',
        value: {
          detail: [
            {
              loc: ['query', 'source'],
              msg: 'source: may contain only letters, digits, "_", "." and "-", as an event\'s source does',
              type: 'value_error',
            },
          ],
        },
      },
    ],
  },
};

/** DELETE /events. */
export const RETENTION_REFUSALS: Refusals = {
  400: {
    description:
      'A `before` that is empty, given twice or not an ISO 8601 timestamp, or any other parameter; nothing is deleted',
    examples: [
      { name: 'before', query: 'before=yesterday', value: badTimestamp('before', 'yesterday') },
      { name: 'empty', query: 'before=', value: detail('before: must not be empty (omit it to delete every event)') },
      {
        name: 'unknown',
        query: 'befor=2026-01-01',
        value: detail('befor: unknown parameter; DELETE /events takes only `before`'),
      },
    ],
  },
};

/** GET /events/{id}. */
export const EVENT_REFUSALS: Refusals = {
  404: {
    description: 'No stored event has this id',
    examples: [{ name: 'unknown', path: '/events/no-such-event', value: detail('Event not found') }],
  },
};

/** GET /sessions/{session_id}. */
export const SESSION_REFUSALS: Refusals = {
  404: {
    description: 'No such session in the log',
    examples: [{ name: 'unknown', path: '/sessions/no-such-session', value: detail('Session not found') }],
  },
  422: {
    description: QUERY_422,
    examples: [
      {
        name: 'user_limit',
        path: '/sessions/no-such-session',
        query: 'user_limit=1001',
        value: {
          detail: [
            {
              loc: ['query', 'user_limit'],
              msg: 'user_limit: must be an integer from 0 to 1000 (got "1001")',
              type: 'value_error',
            },
          ],
        },
      },
    ],
  },
};

/** GET /sessions. */
export const SESSIONS_REFUSALS: Refusals = {
  422: {
    description: QUERY_422,
    examples: [
      {
        name: 'status',
        query: 'status=bogus',
        value: {
          detail: [
            {
              loc: ['query', 'status'],
              msg: 'status: must be one of active, created, in_progress, completed, timed_out, ended (got "bogus")',
              type: 'value_error',
            },
          ],
        },
      },
      { name: 'limit', query: 'limit=0', value: limitRange('0', 'greater_than_equal') },
    ],
  },
};

/** GET /subscribers. */
export const SUBSCRIBERS_REFUSALS: Refusals = {
  422: {
    description: QUERY_422,
    examples: [{ name: 'limit', query: 'limit=1001', value: limitRange('1001', 'less_than_equal') }],
  },
};

/** How an example's request reads in the document: its path and query, or its body. */
export function refusalSummary(example: RefusalExample): string {
  const target = `${example.path ?? ''}${example.query === undefined ? '' : `?${example.query}`}`;
  if (example.body === undefined) return target;
  if (typeof example.body === 'string') return example.body === '' ? 'An empty body' : `Body: ${example.body}`;
  const hex = example.body.map((byte) => byte.toString(16).padStart(2, '0')).join(' ');
  return `Body bytes: ${hex}`;
}
