import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_QUERY_PARAMS } from '../src/protocol/eventQuery.js';
import { EVENT_TYPES } from '../src/protocol/eventTypes.js';
import { CapturingLogger } from './support/capturingLogger.js';
import { call, getJson } from './support/httpCall.js';
import { rawRequest } from './support/rawHttp.js';
import { startTestServer, type TestServer } from './support/testServer.js';

// Hostile input against a real server: nothing may produce a 5xx, the server keeps answering /health, and a
// rejected request leaves the log exactly as it was. Runs are modest so the file stays a few seconds long.

/** Percent-encode the UTF-8 bytes of `s` (encodeURIComponent throws on a lone surrogate). */
function pct(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9_.~-]/.test(c) ? c : `%${byte.toString(16).padStart(2, '0').toUpperCase()}`;
  }
  return out;
}

const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];

/** Text values that hit the edges: empty, unicode, lone surrogates, huge. */
const text = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom('', 'a\ud800b', '\udc00', '😀', 'quiz_started', '__proto__', 'x'.repeat(201)),
  fc.integer({ min: 1_000, max: 200_000 }).map((n) => 'x'.repeat(n)),
);

const anyValue = fc.oneof(fc.jsonValue({ maxDepth: 4 }), text, fc.constantFrom(null, true, 0, -1, 1e308));

/** An object with event-ish keys and prototype keys, with random values. */
const eventish = fc
  .tuple(
    fc.record(
      {
        event_type: fc.oneof(fc.constantFrom(...EVENT_TYPES), anyValue),
        source: fc.oneof(fc.constant('quiz_engine'), anyValue),
        session_id: fc.oneof(fc.constant('s-1'), anyValue),
        user_id: anyValue,
        id: fc.oneof(fc.stringMatching(/^[a-z0-9]{1,8}$/), anyValue),
        payload: fc.oneof(
          fc.dictionary(fc.oneof(fc.string(), fc.constantFrom(...PROTO_KEYS)), anyValue, { maxKeys: 6 }),
          anyValue,
        ),
      },
      { requiredKeys: [] },
    ),
    // Hint: JSON.stringify of an object literal cannot emit an own "__proto__" key, so these are spliced in as text.
    fc.dictionary(fc.constantFrom(...PROTO_KEYS), anyValue, { maxKeys: 3 }),
  )
  .map(([fields, extra]) =>
    JSON.stringify(fields).replace(
      /^\{/,
      `{${Object.entries(extra)
        .map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)},`)
        .join('')}`,
    ),
  );

/** `depth` containers deep, as text (JSON.stringify would overflow on the way in). */
const deep = fc.tuple(fc.integer({ min: 20, max: 20_000 }), fc.constantFrom('[', '{"a":')).map(([depth, open]) => {
  const close = open === '[' ? ']' : '}';
  return `{"event_type":"quiz_started","source":"s","payload":{"k":${open.repeat(depth)}1${close.repeat(depth)}}}`;
});

/** Valid JSON with invalid UTF-8 bytes spliced in. */
const brokenUtf8 = fc
  .tuple(eventish, fc.constantFrom([0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82]), fc.nat())
  .map(([json, bytes, at]) => {
    const buf = Buffer.from(json);
    const cut = at % (buf.length + 1);
    return Buffer.concat([buf.subarray(0, cut), Buffer.from(bytes), buf.subarray(cut)]);
  });

const body: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  fc.jsonValue({ maxDepth: 5 }).map((v) => JSON.stringify(v)),
  eventish,
  eventish.map((e) => `[${e},${e}]`),
  deep,
  brokenUtf8,
  fc.uint8Array({ maxLength: 300 }),
  fc.string({ maxLength: 200 }),
);

describe('REST under random input', () => {
  let t: TestServer;
  const logger = new CapturingLogger();
  beforeAll(async () => {
    t = await startTestServer({}, { logger });
  });
  afterAll(async () => {
    await t.stop();
  });

  const head = async () => (await getJson<{ head_offset: number }>(t.base, '/stats')).body.head_offset;
  const alive = async (base: string) => expect((await getJson(base, '/health')).status).toBe(200);

  it('answers random bodies on POST /events below 500, and a rejected body changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(body, fc.boolean(), async (payload, versioned) => {
        const base = versioned ? `${t.base}/api/v1` : t.base;
        const before = await head();
        const res = await call(`${base}/events`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: payload,
        });
        expect(res.status).toBeLessThan(500);
        if (res.status >= 400) {
          expect(res.body).toHaveProperty('detail');
          expect(await head()).toBe(before);
        }
        await alive(base);
      }),
      { numRuns: 150 },
    );
    expect(logger.lines.filter((line) => line.level === 'error')).toEqual([]);
  });

  const queryKey = fc.oneof(
    // Every name GET /events reads, and the session listing's status.
    fc.constantFrom(...EVENT_QUERY_PARAMS, 'status'),
    fc.string({ maxLength: 6 }),
  );
  const queryValue = fc.oneof(
    text.filter((s) => s.length < 3_000),
    fc.integer().map(String),
    fc.constantFrom('2026-01-31T12:00:00Z', '1e999', '-0', '%', '%zz', '%E0%A4'),
  );
  /** A query string, some parts percent-encoded and some raw (broken escapes included). */
  const query = fc
    .array(fc.tuple(queryKey, queryValue, fc.boolean()), { maxLength: 5 })
    .map((parts) =>
      parts
        .map(([k, v, raw]) => (raw ? `${k}=${v}`.replace(/[^\x21-\x7e]/g, (c) => pct(c)) : `${pct(k)}=${pct(v)}`))
        .join('&'),
    );

  it('answers random query strings on GET /events and /sessions below 500', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/events', '/sessions', '/api/v1/events', '/api/v1/sessions'),
        query,
        async (path, q) => {
          const res = await rawRequest(t.server.port, 'GET', `${path}?${q}`);
          expect(res).not.toBeNull();
          expect(res!.status).toBeLessThan(500);
          expect([200, 400, 422]).toContain(res!.status);
        },
      ),
      { numRuns: 200 },
    );
    await alive(t.base);
  });

  const segment = fc.oneof(
    fc.constantFrom(
      'events',
      'sessions',
      'stats',
      'health',
      'readiness',
      'event-types',
      'api',
      'v1',
      '',
      '..',
      '%',
      '%2F',
      'evt_x',
    ),
    fc.string({ maxLength: 8 }).map((s) => s.replace(/[^\x21-\x7e]/g, (c) => pct(c))),
  );

  it('answers random methods and paths below 500, appending nothing', async () => {
    const before = await head();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE'),
        fc.array(segment, { minLength: 1, maxLength: 4 }),
        async (method, segments) => {
          // DELETE /events would trim the log; it is the one request here that may change it, so it is left out.
          const path = `/${segments.join('/')}`;
          fc.pre(!(method === 'DELETE' && /^\/(api\/v1\/)?events\/?$/.test(path.split('?')[0]!)));
          const res = await rawRequest(t.server.port, method, path);
          expect(res).not.toBeNull();
          expect(res!.status).toBeLessThan(500);
        },
      ),
      { numRuns: 200 },
    );
    expect(await head()).toBe(before);
    await alive(t.base);
  });
});
