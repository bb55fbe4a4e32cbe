import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SCAN_OFFSETS } from '../src/protocol/queryPages.js';
import { CapturingLogger } from './support/capturingLogger.js';
import { call, type DetailItem, type EventRecord, event, getJson, JSON_TYPE, publish } from './support/httpCall.js';
import { parseResponses, rawExchange, rawRequest } from './support/rawHttp.js';
import { startTestServer, type TestServer } from './support/testServer.js';

/** The JSON text of `nested(depth)`, built without recursion (JSON.stringify would overflow the test's stack). */
function nestedJson(depth: number): string {
  let open = '';
  let close = '';
  for (let i = depth - 1; i >= 0; i--) {
    open += i % 2 === 0 ? '{"a":' : '[';
    close = (i % 2 === 0 ? '}' : ']') + close;
  }
  return `${open}"leaf"${close}`;
}

async function headOffset(base: string): Promise<number> {
  return (await getJson<{ head_offset: number }>(base, '/stats')).body.head_offset;
}

/** A value nested `depth` containers deep, alternating objects and arrays. */
function nested(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? { a: value } : [value];
  return value;
}

describe('the error boundary', () => {
  let t: TestServer;
  const logger = new CapturingLogger();
  beforeAll(async () => {
    // Hint: these tests count error lines; the info line per request is tested in requestLog.test.ts.
    t = await startTestServer({ LOG_REQUESTS: 'false' }, { logger });
    expect((await publish(t.base, event())).status).toBe(201);
    // A real fault: the database goes away under a running server, so every read throws inside a handler.
    t.server.pipeline.log.close();
  });
  afterAll(async () => {
    await t.stop();
  });

  it('turns a throw inside a handler into a 500 without internals and one error line naming the path', async () => {
    const before = logger.lines.length;
    const res = await getJson(t.base, '/events?limit=5');
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ detail: 'Internal server error' });
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const lines = logger.lines.slice(before);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.level).toBe('error');
    expect(lines[0]!.obj).toMatchObject({ path: '/events', err: expect.any(Error) });
  });

  it('answers a publish whose commit fails, inside the body and commit callbacks, and keeps serving', async () => {
    const res = await publish(t.base, event());
    expect([500, 503]).toContain(res.status);
    expect(res.body).toEqual({ detail: expect.any(String) });
    expect(res.text).not.toMatch(/\.(ts|js):\d+/);
    expect((await getJson(t.base, '/health')).status).toBe(200);
  });

  it('keeps serving: health answers, and readiness says why it is not ready', async () => {
    expect((await getJson(t.base, '/stats')).status).toBe(500);
    expect((await getJson(t.base, '/health')).status).toBe(200);
    const ready = await getJson<Record<string, unknown>>(t.base, '/readiness');
    expect(ready.status).toBe(503);
    expect(ready.body).toEqual({
      ready: false,
      database: 'disconnected',
      reason: expect.any(String),
      router: expect.any(Object),
    });
    expect((await getJson(t.base, '/health')).status).toBe(200);
  });
});

describe('hostile bodies', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t.stop();
  });

  it('answers a payload nested 10,000 deep with 422 naming the field, and keeps serving', async () => {
    const before = await headOffset(t.base);
    const deepEvent = `{"event_type":"quiz_started","source":"s","payload":{"deep":${nestedJson(10_000)}}}`;
    expect(JSON.parse(nestedJson(5))).toEqual(nested(5));
    for (const body of [deepEvent, `[${JSON.stringify(event())},${deepEvent}]`]) {
      const res = await publish<{ detail: DetailItem[] }>(t.base, body);
      expect(res.status).toBe(422);
      expect(res.body.detail).toHaveLength(1);
      expect(res.body.detail[0]!.msg).toMatch(/payload\.deep.*nests deeper than 32 levels \(MAX_JSON_DEPTH\)/);
    }
    expect(await headOffset(t.base)).toBe(before);
  });

  it('closes the connection once it refused a chunked body past MAX_BODY_BYTES part way, saying so', async () => {
    const head =
      'POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n';
    const size = t.config.maxBodyBytes + 1;
    const chunk = `${size.toString(16)}\r\n${'x'.repeat(size)}\r\n`;
    // Before (a soak probe): the 413 came, and once the last chunk came the connection stayed open for good, holding
    // a descriptor (uWS armed no idle timeout after an answer that came before the end of its body).
    const exchange = await rawExchange(t.server.port, [head + chunk, '0\r\n\r\n'], 8_000);
    const [response] = parseResponses(exchange.text);
    expect(response?.status).toBe(413);
    // Once: uWS writes it for an answer that closes its connection (we wrote it too, and it came twice).
    expect(exchange.text.toLowerCase().split('\r\nconnection: close\r\n')).toHaveLength(2);
    expect(exchange.closedByServer).toBe(true);
    expect((await getJson(t.base, '/health')).status).toBe(200);
  });

  it('answers 413 before reading a body whose Content-Length is over MAX_BODY_BYTES, and stores nothing', async () => {
    const before = await headOffset(t.base);
    // Hint: no Expect: 100-continue (curl sends one, and got its 413 at once): the client sends 1 byte of 100 MB, and
    // then 10 MiB + 1 declared with the first byte; before, neither got an answer, only a close ~11 s later.
    for (const declared of [100_000_000, 10 * 1024 * 1024 + 1]) {
      const head = `POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${declared}\r\n\r\n{`;
      const { text } = await rawExchange(t.server.port, head, 15_000, (got) => parseResponses(got).length > 0);
      const [response] = parseResponses(text);
      expect(response?.status).toBe(413);
      expect(JSON.parse(response!.body)).toEqual({
        detail: `request body exceeds 10485760 bytes (Content-Length: ${declared})`,
      });
    }
    expect(await headOffset(t.base)).toBe(before);
    expect((await getJson(t.base, '/health')).status).toBe(200);
  });

  it('answers a body that is itself 10,000 arrays deep with 422', async () => {
    const res = await publish(t.base, '['.repeat(10_000) + ']'.repeat(10_000));
    expect(res.status).toBe(422);
    expect((await getJson(t.base, '/health')).status).toBe(200);
  });

  it('accepts nesting up to MAX_JSON_DEPTH, counting the event itself', async () => {
    // Event (1) + payload (2) + 30 more = 32.
    expect((await publish(t.base, event({ payload: { deep: nested(30) } }))).status).toBe(201);
    expect((await publish(t.base, event({ payload: { deep: nested(31) } }))).status).toBe(422);
  });

  it('refuses a number JSON cannot carry (1e400) with 422 naming it, instead of storing null', async () => {
    const before = await headOffset(t.base);
    const body = `[${JSON.stringify(event())},{"event_type":"quiz_started","source":"s","payload":{"a":[1,-1e400]}}]`;
    const res = await publish<{ detail: DetailItem[] }>(t.base, body);
    expect(res.status).toBe(422);
    expect(res.body.detail).toEqual([
      {
        loc: ['body', 1, 'payload', 'a', 1],
        msg: expect.stringMatching(/^\[1\]\.payload\.a\[1\]: is a number beyond ±1\.7976931348623157e308 /),
        type: 'value_error',
      },
    ]);
    expect(await headOffset(t.base)).toBe(before);
    const largest = await publish<EventRecord>(
      t.base,
      '{"event_type":"quiz_started","source":"s","payload":{"a":1.7976931348623157e308}}',
    );
    expect(largest.status).toBe(201);
    expect(largest.body.payload).toEqual({ a: 1.7976931348623157e308 });
  });

  it('refuses a compressed body with 415 naming Content-Encoding, and skips its bytes on a kept-alive connection', async () => {
    const before = await headOffset(t.base);
    const gzipped = gzipSync(JSON.stringify(event()));
    const res = await call<{ detail: string }>(`${t.base}/events`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
      body: gzipped,
    });
    expect(res.status).toBe(415);
    expect(res.body.detail).toBe('Content-Encoding: "gzip" is not supported; send the body uncompressed');
    expect(res.headers.get('accept-encoding')).toBe('identity');
    expect((await publish(t.base, event(), { 'Content-Encoding': 'Identity' })).status).toBe(201);
    // Hint: a refused body that looks like a request must not be read as the next one.
    const inner = 'DELETE /events HTTP/1.1\r\nHost: x\r\n\r\n';
    const next = JSON.stringify(event());
    const exchange = await rawExchange(
      t.server.port,
      `POST /events HTTP/1.1\r\nHost: x\r\nContent-Encoding: br\r\nContent-Length: ${inner.length}\r\n\r\n${inner}` +
        `POST /events HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${next.length}\r\n\r\n${next}`,
    );
    expect(parseResponses(exchange.text).map((r) => r.status)).toEqual([415, 201]);
    expect(await headOffset(t.base)).toBe(before + 2);
  });

  it('refuses a coding named on a second Content-Encoding line, or in Transfer-Encoding beside chunked', async () => {
    const before = await headOffset(t.base);
    const body = JSON.stringify(event());
    const head = 'POST /events HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n';
    const twoLines = await rawExchange(
      t.server.port,
      `${head}Content-Encoding: identity\r\nContent-Encoding: gzip\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    const [second] = parseResponses(twoLines.text);
    expect(second?.status).toBe(415);
    expect(JSON.parse(second!.body)).toEqual({
      detail: 'Content-Encoding: "identity,gzip" is not supported; send the body uncompressed',
    });
    const chunk = `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
    const transfer = await rawExchange(t.server.port, `${head}Transfer-Encoding: gzip, chunked\r\n\r\n${chunk}`);
    const [coded] = parseResponses(transfer.text);
    expect(coded?.status).toBe(415);
    expect(JSON.parse(coded!.body)).toEqual({
      detail: 'Transfer-Encoding: "gzip, chunked" is not supported; send the body uncompressed (chunked alone is fine)',
    });
    // Chunked alone is taken.
    const plain = await rawExchange(t.server.port, `${head}Transfer-Encoding: chunked\r\n\r\n${chunk}`);
    expect(parseResponses(plain.text)[0]?.status).toBe(201);
    expect(await headOffset(t.base)).toBe(before + 1);
  });

  it('closes a connection whose two Content-Length lines differ, serving nothing smuggled after them', async () => {
    const before = await headOffset(t.base);
    const body = JSON.stringify(event());
    const inner = `POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    const head = 'POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n';
    for (const lengths of [
      [0, inner.length],
      [inner.length, 0],
    ]) {
      const lines = lengths.map((n) => `Content-Length: ${n}\r\n`).join('');
      const exchange = await rawExchange(t.server.port, `${head}${lines}\r\n${inner}`);
      expect(exchange).toEqual({ text: '', closedByServer: true });
    }
    // Every handler, the dashboard's own too (a review found them serving the rest).
    const lines = `Content-Length: 0\r\nContent-Length: ${inner.length}\r\n`;
    for (const target of [
      'GET /dashboard',
      'HEAD /dashboard',
      'GET /dashboard/app.js',
      'GET /health',
      'GET /nowhere',
    ]) {
      const exchange = await rawExchange(t.server.port, `${target} HTTP/1.1\r\nHost: x\r\n${lines}\r\n${inner}`);
      expect([target, exchange]).toEqual([target, { text: '', closedByServer: true }]);
    }
    // The same length twice is one length (RFC 9112 6.3).
    const same = `Content-Length: ${body.length}\r\n`.repeat(2);
    const twice = await rawExchange(t.server.port, `${head}Connection: close\r\n${same}\r\n${body}`);
    expect(parseResponses(twice.text).map((r) => r.status)).toEqual([201]);
    expect(await headOffset(t.base)).toBe(before + 1);
  });

  it('refuses a body not sent as JSON (text/plain, a form) with 415 naming Content-Type, storing nothing', async () => {
    const before = await headOffset(t.base);
    const body = JSON.stringify(event());
    // Hint: what a web page on any origin can send without a CORS preflight: it must not reach the log.
    for (const type of [
      'text/plain',
      'text/plain;charset=UTF-8',
      'application/x-www-form-urlencoded',
      'multipart/form-data',
    ]) {
      const res = await call<{ detail: string }>(`${t.base}/events`, {
        method: 'POST',
        headers: { 'Content-Type': type, Origin: 'https://elsewhere.example' },
        body,
      });
      expect([res.status, res.body.detail]).toEqual([
        415,
        `Content-Type: ${JSON.stringify(type)} is not supported; send application/json`,
      ]);
    }
    expect(await headOffset(t.base)).toBe(before);
    for (const type of ['application/json; charset=utf-8', 'Application/JSON', 'application/vnd.api+json'])
      expect((await publish(t.base, event(), { 'Content-Type': type })).status).toBe(201);
    // No Content-Type at all is read as JSON, as the old service read it.
    const untyped = await rawExchange(
      t.server.port,
      `POST /events HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    expect(parseResponses(untyped.text).map((r) => r.status)).toEqual([201]);
    expect(await headOffset(t.base)).toBe(before + 4);
  });

  it('answers 10 MiB of tiny invalid events with a small 422: the first 100 issues, the events after them unchecked', async () => {
    const one = '{"event_type":"x"},';
    const count = Math.floor((t.config.maxBodyBytes - 2) / one.length);
    const body = `[${one.repeat(count).slice(0, -1)}]`;
    const before = await headOffset(t.base);
    const res = await publish<{ detail: DetailItem[] }>(t.base, body);
    expect(res.status).toBe(422);
    expect(res.text.length).toBeLessThan(body.length);
    const detail = res.body.detail;
    expect(detail.length).toBeLessThanOrEqual(101);
    expect(detail[0]!.loc).toEqual(['body', 0, 'event_type']);
    // Two issues each: the first 50 events fill the list, and one invalid event refuses the batch anyway.
    expect(detail[99]!.loc).toEqual(['body', 49, 'source']);
    expect(detail.at(-1)).toEqual({
      loc: ['body'],
      msg: `… ${(count - 50).toLocaleString('en-US')} more events were not checked`,
      type: 'value_error.truncated',
    });
    expect(await headOffset(t.base)).toBe(before);
  });

  it('keeps a 422 for a query with 1,000 unknown event types near the size of the request', async () => {
    const types = Array.from({ length: 1_000 }, (_, i) => `t${i}`).join(',');
    const res = await getJson<{ detail: DetailItem[] }>(t.base, `/events?event_type=${types}`);
    expect(res.status).toBe(422);
    expect(res.text.length).toBeLessThan(Math.max(4_096, types.length) + 512);
    expect(res.body.detail.at(-1)!.msg).toMatch(/more issues \(1,000 in all\)$/);
  });

  it('echoes only a short prefix of a 1 MB unknown event type', async () => {
    const res = await publish<{ detail: DetailItem[] }>(t.base, event({ event_type: 'x'.repeat(1_000_000) }));
    expect(res.status).toBe(422);
    expect(res.text.length).toBeLessThan(2_000);
    expect(res.body.detail[0]!.msg).toContain('1000000 characters');
  });

  it('refuses a body that is not valid UTF-8 with 400, as FastAPI did, storing nothing', async () => {
    const before = await headOffset(t.base);
    const body = Buffer.concat([
      Buffer.from('{"event_type":"quiz_started","source":"s","session_id":"a'),
      Buffer.from([0xed, 0xa0, 0x80]),
      Buffer.from('"}'),
    ]);
    const res = await call(`${t.base}/events`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body,
    });
    expect(res.status).toBe(400);
    // Before: `Invalid JSON body: not valid UTF-8`. FastAPI 0.129 answered its own words alone.
    expect(res.body).toEqual({ detail: 'There was an error parsing the body: not valid UTF-8' });
    expect(await headOffset(t.base)).toBe(before);
  });

  it("answers a body that is not JSON with FastAPI's 422 json_invalid at its position, the reason kept, storing nothing", async () => {
    // Before: 400 {"detail":"Invalid JSON body: …"}, where the old service (FastAPI 0.129) answered 422 in this shape.
    const before = await headOffset(t.base);
    for (const [body, position, reason] of [
      ['{', 1, "Expected property name or '}'"],
      [' ', 1, 'Unexpected end of JSON input'],
      ['{"event_type":"quiz_started",}', 29, 'Expected double-quoted property name'],
      ['["😀", x]', 6, `Unexpected token 'x', "["😀", x]" is not valid JSON`],
    ] as const) {
      const res = await publish<{ detail: unknown }>(t.base, body);
      expect([res.status, res.body]).toEqual([
        422,
        {
          detail: [
            {
              type: 'json_invalid',
              loc: ['body', position],
              msg: `JSON decode error at position ${position}: ${reason}`,
              input: {},
              ctx: { error: reason },
            },
          ],
        },
      ]);
    }
    expect(await headOffset(t.base)).toBe(before);
  });

  it("answers an empty body with FastAPI's 422 `missing` at the body, saying it is empty", async () => {
    // Before: 400 {"detail":"Invalid JSON body: Unexpected end of JSON input"}.
    for (const path of ['/events', '/api/v1/events']) {
      const res = await call(`${t.base}${path}`, { method: 'POST', headers: JSON_TYPE, body: '' });
      expect([res.status, res.body]).toEqual([
        422,
        {
          detail: [
            {
              type: 'missing',
              loc: ['body'],
              msg: 'Field required: the body is empty; send one event or a JSON array of events',
              input: null,
            },
          ],
        },
      ]);
    }
  });
});

describe('GET /events of large records', () => {
  let t: TestServer;
  const logger = new CapturingLogger();
  let rowsRead = 0;
  let failNextRead = false;
  beforeAll(async () => {
    t = await startTestServer({ LOG_REQUESTS: 'false' }, { logger });
    const big = Array.from({ length: 100 }, () => event({ session_id: 'big', payload: { text: 'x'.repeat(60_000) } }));
    for (let i = 0; i < 10; i++) expect((await publish(t.base, big)).status).toBe(201);
    const pipeline = t.server.pipeline;
    const query = pipeline.query.bind(pipeline);
    pipeline.query = (q) => {
      if (failNextRead) {
        failNextRead = false;
        throw new Error('injected read failure');
      }
      const page = query(q);
      rowsRead += page.length;
      return page;
    };
  });
  afterAll(async () => {
    await t.stop();
  });

  it('reads 1,000 records of 60 KB only as fast as a client takes them, and the client gets them all', async () => {
    rowsRead = 0;
    // Hint: fetch resolves at the headers; the body waits unread in the socket until text() below.
    const res = await fetch(`${t.base}/events?session_id=big&limit=1000`);
    expect(res.status).toBe(200);
    expect(res.headers.get('transfer-encoding')).toBe('chunked');
    for (let i = 0; i < 20; i++) expect((await getJson(t.base, '/health')).status).toBe(200);
    // 60 MB in all: one read of it used to hold the thread and the memory at once. Kernel buffers take a few MB.
    expect(rowsRead).toBeGreaterThan(0);
    expect(rowsRead).toBeLessThan(500);
    const records = JSON.parse(await res.text()) as EventRecord[];
    expect(records.map((r) => r.offset)).toEqual(Array.from({ length: 1_000 }, (_, i) => 1_000 - i));
    expect(rowsRead).toBe(1_000);
  });

  it('answers HEAD of a long answer with the headers GET sends, reading only the first page', async () => {
    rowsRead = 0;
    const exchange = await rawExchange(
      t.server.port,
      'HEAD /events?session_id=big&limit=1000 HTTP/1.1\r\nHost: x\r\n\r\n' +
        'GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    const [head, after] = parseResponses(exchange.text, [true, false]);
    expect(head?.status).toBe(200);
    expect(head?.headers.get('transfer-encoding')).toBe('chunked');
    expect(head?.headers.has('content-length')).toBe(false);
    expect(rowsRead).toBe(100);
    expect(after?.status).toBe(200);
    expect(JSON.parse(after!.body)).toMatchObject({ status: 'ok' });
  });

  it('answers a query of one page in one write with its Content-Length, as before', async () => {
    const res = await call(`${t.base}/events?session_id=big&limit=3`);
    expect(res.headers.get('content-length')).toBe(String(Buffer.byteLength(res.text)));
    expect((res.body as EventRecord[]).map((r) => r.offset)).toEqual([1_000, 999, 998]);
  });

  it('cuts the connection when a later page fails after the status went out, logs it once, and keeps serving', async () => {
    const before = logger.lines.length;
    const res = await fetch(`${t.base}/events?session_id=big&limit=1000&order=asc`);
    expect(res.status).toBe(200);
    failNextRead = true;
    // A cut chunked body is an error to the client, never a shorter array that parses.
    await expect(res.text()).rejects.toThrow();
    const lines = logger.lines.slice(before).filter((line) => line.level === 'error');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.obj).toMatchObject({ path: '/events', err: expect.any(Error) });
    expect((await getJson(t.base, '/health')).status).toBe(200);
  });
});

describe('retention while a long GET /events answer is being sent', () => {
  let t: TestServer;
  const logger = new CapturingLogger();
  beforeAll(async () => {
    t = await startTestServer({ LOG_REQUESTS: 'false' }, { logger });
    const big = Array.from({ length: 100 }, () => event({ session_id: 'cut', payload: { text: 'x'.repeat(60_000) } }));
    for (let i = 0; i < 6; i++) expect((await publish(t.base, big)).status).toBe(201);
  });
  afterAll(async () => {
    await t.stop();
  });

  it('cuts the answer instead of sending an array with a gap no header names', async () => {
    // Hint: fetch resolves at the headers; 36 MB wait unsent behind the unread socket while retention runs.
    const res = await fetch(`${t.base}/events?order=asc&limit=1000`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-first-available-offset')).toBeNull();
    expect(
      await call(`${t.base}/events?before=${encodeURIComponent(new Date().toISOString())}`, { method: 'DELETE' }),
    ).toMatchObject({ status: 200, body: { deleted: 600 } });
    // The rest of the answer was deleted: a shorter array that parses would skip it unawares.
    await expect(res.text()).rejects.toThrow();
    // An expected cut, logged as such: not an error line that pages someone.
    expect(logger.lines.filter((line) => line.level === 'error')).toEqual([]);
    expect(logger.lines.find((line) => line.msg === 'REST response cut')?.obj).toMatchObject({
      path: '/events',
      reason: expect.stringContaining('retention deleted offsets below 601'),
    });
    const again = await call(`${t.base}/events?order=asc&after_offset=1&limit=10`);
    expect(again.headers.get('x-first-available-offset')).toBe('601');
    expect((await getJson(t.base, '/health')).status).toBe(200);
  });
});

describe('a GET /events filter that matches almost nothing in a long log', () => {
  let t: TestServer;
  const spans: number[] = [];
  beforeAll(async () => {
    t = await startTestServer({ LOG_REQUESTS: 'false' });
    // More offsets than one read may cover (SCAN_OFFSETS), one of them the only match.
    const bulk = Array.from({ length: 10_000 }, () => event({ source: 'bulk' }));
    for (let i = 0; i < 7; i++) expect((await publish(t.base, bulk)).status).toBe(201);
    expect((await publish(t.base, event({ source: 'rare' }))).status).toBe(201);
    expect((await publish(t.base, bulk.slice(0, 100))).status).toBe(201);
    const pipeline = t.server.pipeline;
    const query = pipeline.query.bind(pipeline);
    pipeline.query = (q) => {
      spans.push((q.before_offset ?? pipeline.headOffset() + 1) - (q.after_offset ?? 0) - 1);
      return query(q);
    };
  });
  afterAll(async () => {
    await t.stop();
  });

  it('is read a span of offsets per turn, never the whole log at once, and answers exactly', async () => {
    for (const order of ['desc', 'asc']) {
      spans.length = 0;
      const res = await call(`${t.base}/events?source=rare&order=${order}&limit=1000`);
      expect((res.body as EventRecord[]).map((r) => r.offset)).toEqual([70_001]);
      expect(spans.length).toBeGreaterThan(1);
      // Hint: one read of all 70,101 offsets held the thread that serves every client for the whole scan.
      expect(Math.max(...spans)).toBeLessThanOrEqual(SCAN_OFFSETS);
    }
    expect((await call(`${t.base}/events?source=none&limit=1000`)).body).toEqual([]);
  });
});

describe('HTTP methods', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t.stop();
  });

  it('answers pipelined GETs in order; behind a POST uWS closes the connection, and a resend with the id stores it once', async () => {
    const get = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`;
    const gets = await rawExchange(t.server.port, `${get('/health')}${get('/stats')}${get('/events?limit=1')}`, 500);
    expect(parseResponses(gets.text).map((r) => r.status)).toEqual([200, 200, 200]);
    // A POST is answered after its commit: uWS refuses to pipeline behind a reply that is not sent at once.
    const body = JSON.stringify(event({ id: 'pipelined-once' }));
    const post = `POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    const behind = await rawExchange(t.server.port, `${post}${get('/health')}`);
    expect([behind.text, behind.closedByServer]).toEqual(['', true]);
    // As after any connection lost before its reply, the POST may be stored: its resend with the same id is not twice.
    const resent = await publish(t.base, body);
    expect([201, 200]).toContain(resent.status);
    expect(
      (await getJson<EventRecord[]>(t.base, '/events?limit=1000')).body.filter((r) => r.id === 'pipelined-once'),
    ).toHaveLength(1);
  });

  it('answers GETs pipelined behind a GET of 300 records (more than one read) in order, the records complete', async () => {
    const batch = Array.from({ length: 300 }, (_, i) => event({ session_id: 'pipelined-300', payload: { i } }));
    expect((await publish(t.base, batch)).status).toBe(201);
    const get = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`;
    const exchange = await rawExchange(
      t.server.port,
      `${get('/events?session_id=pipelined-300&limit=300')}${get('/health')}${get('/events/evt_none')}`,
      1_000,
    );
    const replies = parseResponses(exchange.text);
    expect(replies.map((r) => r.status)).toEqual([200, 200, 404]);
    expect((JSON.parse(replies[0]!.body) as EventRecord[]).map((r) => r.payload.i)).toEqual(
      Array.from({ length: 300 }, (_, i) => 299 - i),
    );
  });

  it('never answers an HTTP/1.0 request (uWS speaks HTTP/1.1 only: a proxy in front must use HTTP/1.1)', async () => {
    const exchange = await rawExchange(t.server.port, 'GET /health HTTP/1.0\r\nHost: x\r\n\r\n', 1_000);
    expect(exchange.text).toBe('');
    expect((await getJson(t.base, '/health')).status).toBe(200);
  });

  it.each([
    ['PATCH', '/events', 'GET, HEAD, POST, DELETE, OPTIONS'],
    ['PUT', '/api/v1/events', 'GET, HEAD, POST, DELETE, OPTIONS'],
    ['POST', '/health', 'GET, HEAD, OPTIONS'],
    ['DELETE', '/events/evt_1', 'GET, HEAD, OPTIONS'],
    ['TRACE', '/sessions', 'GET, HEAD, OPTIONS'],
    ['PATCH', '/sessions/s-1', 'GET, HEAD, OPTIONS'],
  ])('answers %s %s with 405 and Allow: %s', async (method, path, allow) => {
    const res = await rawRequest(t.server.port, method, path);
    expect(res?.status).toBe(405);
    expect(res?.headers.get('allow')).toBe(allow);
    expect(JSON.parse(res!.body)).toEqual({ detail: 'Method Not Allowed' });
    expect(res?.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('sends a known path with a trailing slash to the path without it with 307, as FastAPI did (a POST stays a POST)', async () => {
    const get = await rawExchange(
      t.server.port,
      'GET /api/v1/events/?limit=1&order=asc HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    expect(get.text).toMatch(/^HTTP\/1\.1 307 Temporary Redirect\r\n/);
    expect(parseResponses(get.text)[0]!.headers.get('location')).toBe('/api/v1/events?limit=1&order=asc');
    const posted = await call<EventRecord>(`${t.base}/events/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(event({ source: 'slash' })),
    });
    expect(posted.status).toBe(201);
    expect((await getJson<EventRecord>(t.base, `/events/${posted.body.id}/`)).body).toEqual(posted.body);
    const docs = await rawExchange(t.server.port, 'GET /docs/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(docs.text).toMatch(/^HTTP\/1\.1 308 Permanent Redirect\r\n/);
    for (const path of ['/events//', '/nowhere/', '/events/a/b/'])
      expect((await rawRequest(t.server.port, 'GET', path))?.status, path).toBe(404);
  });

  it('answers PATCH on an unknown path with 404', async () => {
    expect((await rawRequest(t.server.port, 'PATCH', '/nowhere'))?.status).toBe(404);
  });

  it.each(['/health', '/readiness', '/stats', '/events', '/event-types', '/sessions', '/api/v1/health'])(
    'answers HEAD %s with the GET status and headers and no body',
    async (path) => {
      const get = await rawRequest(t.server.port, 'GET', path);
      const head = await rawRequest(t.server.port, 'HEAD', path);
      expect(head?.status).toBe(get?.status);
      expect(head?.headers.get('content-type')).toBe('application/json');
      expect(head?.headers.get('content-length')).toBe(get?.headers.get('content-length'));
      expect(head?.body).toBe('');
    },
  );

  it('answers HEAD for a missing event and an unknown path with 404', async () => {
    expect((await rawRequest(t.server.port, 'HEAD', '/events/evt_missing'))?.status).toBe(404);
    expect((await rawRequest(t.server.port, 'HEAD', '/nowhere'))?.status).toBe(404);
  });

  it('keeps a connection usable after HEAD: a pipelined GET gets its full answer', async () => {
    const exchange = await rawExchange(
      t.server.port,
      'HEAD /health HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    const [head, get] = parseResponses(exchange.text, [true, false]);
    expect(head?.status).toBe(200);
    expect(get?.status).toBe(200);
    expect(JSON.parse(get!.body)).toMatchObject({ status: 'ok' });
  });

  it('answers OPTIONS on a known path with the CORS preflight', async () => {
    const res = await rawRequest(t.server.port, 'OPTIONS', '/events', { Origin: 'https://app.example' });
    expect(res?.status).toBe(204);
    expect(res?.headers.get('access-control-allow-methods')).toContain('POST');
  });

  it('keeps serving after a method uWS does not know (it closes that connection without an answer)', async () => {
    // Hint: uWS 20.30 routes only its nine standard methods; PROPFIND never reaches JavaScript (see the README).
    const exchange = await rawExchange(t.server.port, 'PROPFIND /events HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(exchange.closedByServer).toBe(true);
    expect((await getJson(t.base, '/health')).status).toBe(200);
  });

  it('answers a header block of 4 KB that arrives in pieces; a longer one is closed unanswered (see the README)', async () => {
    // Hint: uWS 20.30 holds at most 4 KB of an unfinished header block, a fixed size (UWS_HTTP_MAX_HEADERS_SIZE came in
    // later versions). A longer block read whole is parsed; one that a network splits is dropped with its connection.
    const request = (bytes: number) => {
      const frame = (pad: string) => `GET /health?pad=${pad} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;
      return frame('x'.repeat(bytes - frame('').length));
    };
    const inPieces = (text: string) => [text.slice(0, 1_000), text.slice(1_000)];
    expect(request(4_000)).toHaveLength(4_000);
    const fits = await rawExchange(t.server.port, inPieces(request(4_000)));
    expect(parseResponses(fits.text)[0]?.status).toBe(200);
    const over = await rawExchange(t.server.port, inPieces(request(4_200)));
    expect(over).toEqual({ text: '', closedByServer: true });
    const whole = await rawExchange(t.server.port, request(4_200));
    expect(parseResponses(whole.text)[0]?.status).toBe(200);
    expect((await getJson(t.base, '/health')).status).toBe(200);
  });
});

describe('lone surrogates and empty ids over REST', () => {
  let t: TestServer;
  afterEach(async () => {
    await t.stop();
  });

  it.each(['source', 'session_id', 'user_id', 'id'])(
    'refuses a lone surrogate in %s with 422 naming the field',
    async (field) => {
      t = await startTestServer();
      const res = await publish<{ detail: DetailItem[] }>(t.base, event({ [field]: 'a\ud800b' }));
      expect(res.status).toBe(422);
      expect(res.body.detail).toEqual([
        {
          loc: ['body', field],
          msg: `${field}: contains a lone surrogate (\\ud800); cannot be stored as sent`,
          type: 'value_error',
        },
      ]);
      expect(await headOffset(t.base)).toBe(0);
    },
  );

  it('stores payload strings with lone surrogates exactly: publish, GET by id and GET /events agree', async () => {
    t = await startTestServer();
    const payload = { text: 'a\ud800b', tail: '\udfff', pair: '😀', mixed: ['\ud83d', { k: 'x\udc00' }] };
    const published = await publish<EventRecord>(t.base, event({ session_id: 's-sur', payload }));
    expect(published.status).toBe(201);
    expect(published.body.payload).toEqual(payload);
    expect((await getJson<EventRecord>(t.base, `/events/${published.body.id}`)).body.payload).toEqual(payload);
    const listed = await getJson<EventRecord[]>(t.base, '/events?session_id=s-sur');
    expect(listed.body.map((e) => e.payload)).toEqual([payload]);
  });

  it.each(['session_id', 'user_id'])('refuses an empty %s with 422 naming the field', async (field) => {
    t = await startTestServer();
    const res = await publish<{ detail: DetailItem[] }>(t.base, event({ [field]: '' }));
    expect(res.status).toBe(422);
    expect(res.body.detail.map((d) => d.loc)).toEqual([['body', field]]);
  });

  it('treats an empty filter value in GET /events as no filter', async () => {
    t = await startTestServer();
    await publish(t.base, [event({ session_id: 's-1', user_id: 'u-1' }), event()]);
    for (const query of ['session_id=', 'user_id=', 'source=', 'session_id=&user_id=']) {
      const res = await getJson<EventRecord[]>(t.base, `/events?${query}`);
      expect(res.status).toBe(200);
      expect(res.body).toHaveLength(2);
    }
  });
});
