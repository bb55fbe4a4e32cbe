import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LARGE_ANSWER_BYTES } from '../src/http/answersUnderWay.js';
import { API_PREFIX, openApiPath } from '../src/protocol/openApiDocument.js';
import type { RefusalExample } from '../src/protocol/openApiRefusals.js';
import { operationName } from '../src/protocol/openApiResponses.js';
import { ROUTE_DOCS } from '../src/protocol/openApiRoutes.js';
import { WS_TAG } from '../src/protocol/openApiWebSockets.js';
import { call, event, JSON_TYPE } from './support/httpCall.js';
import { startTestServer, type TestServer } from './support/testServer.js';

// The served OpenAPI document against the answers of a real server: each documented refusal is the answer to the
// request it names, each header an answer carries is declared on its response, and what no operation lists (405,
// 426, 429 on /metrics) is where the document says. A probe found each of these wrong once.

interface Media {
  readonly example?: unknown;
  readonly examples?: Readonly<Record<string, { readonly value: unknown }>>;
}
interface Response {
  readonly $ref?: string;
  readonly headers?: Readonly<Record<string, unknown>>;
  readonly content?: Readonly<Record<string, Media & { readonly schema?: Readonly<Record<string, unknown>> }>>;
}
interface Operation {
  readonly tags: readonly string[];
  readonly responses: Readonly<Record<string, Response>>;
}
type PathItem = Readonly<Record<string, Operation | string>>;
interface OpenApi {
  readonly info: { readonly description: string };
  readonly paths: Readonly<Record<string, PathItem>>;
  readonly components: {
    readonly responses: Readonly<Record<string, Response>>;
    readonly headers: Readonly<Record<string, unknown>>;
  };
}

let ts: TestServer;
let doc: OpenApi;

beforeAll(async () => {
  ts = await startTestServer();
  doc = (await call<OpenApi>(`${ts.base}/openapi.json`)).body;
});
afterAll(() => ts.stop());

/** A response as documented, its `$ref` followed. */
const resolved = (response: Response | undefined): Response | undefined =>
  response?.$ref === undefined ? response : doc.components.responses[response.$ref.split('/').pop()!];

/** The documented operation `method` of `path`, or undefined. */
function operationAt(path: string, method: string): Operation | undefined {
  const op = doc.paths[path]?.[method.toLowerCase()];
  return typeof op === 'object' ? op : undefined;
}

/** The request an example names, sent to `path` (its own path when it has one) under `prefix`. */
function send(prefix: string, method: string, path: string, example: RefusalExample) {
  const query = example.query === undefined ? '' : `?${example.query}`;
  const init: RequestInit = { method };
  if (example.body !== undefined) {
    init.headers = JSON_TYPE;
    init.body = typeof example.body === 'string' ? example.body : Buffer.from(example.body);
  }
  return call(`${ts.base}${prefix}${example.path ?? path}${query}`, init);
}

/** The declared response headers an answer carries, lower-cased (the document's names, as fetch reads them). */
const declaredSent = (headers: Headers) =>
  Object.keys(doc.components.headers).filter((name) => headers.has(name.toLowerCase()));

describe('the OpenAPI document against the answers', () => {
  it("each operation's own refusal examples are the answers to the requests they name, word for word", async () => {
    let sent = 0;
    for (const [key, route] of Object.entries(ROUTE_DOCS)) {
      const [method, pattern] = key.split(' ') as [string, string];
      const path = openApiPath(pattern);
      for (const [status, refusal] of Object.entries(route.refusals ?? {})) {
        const served = doc.components.responses[`${operationName(method, path)}_${status}`];
        const examples = served?.content?.['application/json']?.examples ?? {};
        // Hint: the served document holds exactly the table's examples, so checking the table checks it.
        expect(Object.values(examples).map((e) => e.value)).toEqual(refusal.examples.map((e) => e.value));
        for (const example of refusal.examples) {
          for (const prefix of ['', API_PREFIX]) {
            const res = await send(prefix, method, path, example);
            expect({ status: res.status, body: res.body }, `${key} ${example.name}`).toEqual({
              status: Number(status),
              body: example.value,
            });
            sent++;
          }
        }
      }
    }
    expect(sent).toBeGreaterThanOrEqual(30);
  });

  it('declares on its documented response every header an answer carries', async () => {
    const first = await call<{ offset: number; timestamp: string }>(`${ts.base}/events`, {
      method: 'POST',
      headers: JSON_TYPE,
      body: JSON.stringify(event({ session_id: 'sess_gone' })),
    });
    // Hint: retention takes the first event (older than its own millisecond's end), then one is published to keep.
    const cut = new Date(Date.parse(first.body.timestamp) + 1).toISOString();
    expect((await call(`${ts.base}/events?before=${cut}`, { method: 'DELETE' })).body).toEqual({ deleted: 1 });
    const kept = JSON.stringify(event({ session_id: 'sess_kept' }));
    await call(`${ts.base}/events`, { method: 'POST', headers: JSON_TYPE, body: kept });
    const cases: [string, string, string, RequestInit, string][] = [
      [
        'POST',
        '/events',
        '/events',
        { method: 'POST', headers: JSON_TYPE, body: '{"event_type":"quiz_started","source":"a","sesion":1}' },
        'X-Ignored-Fields',
      ],
      ['GET', '/events', '/events?sesion_id=x', {}, 'X-Ignored-Query-Params'],
      ['GET', '/events', `/events?order=asc&after_offset=${first.body.offset - 1}`, {}, 'X-First-Available-Offset'],
      ['GET', '/sessions', '/sessions?foo=1', {}, 'X-Ignored-Query-Params'],
      ['GET', '/sessions/{session_id}', '/sessions/sess_kept?foo=1', {}, 'X-Ignored-Query-Params'],
      ['GET', '/subscribers', '/subscribers?foo=1', {}, 'X-Ignored-Query-Params'],
      ['GET', '/health', '/health', {}, 'X-Request-Id'],
      ['PUT', '/events', '/events', { method: 'PUT' }, 'Allow'],
    ];
    for (const [method, template, url, init, expected] of cases) {
      const res = await call(`${ts.base}${url}`, init);
      const op = operationAt(template, method);
      // Hint: a method no operation lists answers 405, documented once as the E405 response.
      const response = op === undefined ? doc.components.responses.E405 : resolved(op.responses[String(res.status)]);
      expect(response, `${method} ${url} ${res.status}`).toBeDefined();
      expect(res.headers.has(expected), `${url} sends ${expected}`).toBe(true);
      for (const name of declaredSent(res.headers)) expect(response?.headers, `${url}: ${name}`).toHaveProperty(name);
    }
  });

  it('answers a documented path with another method 405 and the Allow its description names; no operation lists 405', async () => {
    let paths = 0;
    for (const [path, item] of Object.entries(doc.paths)) {
      const operations = Object.values(item).filter((op): op is Operation => typeof op === 'object');
      if (operations.some((op) => op.tags.includes(WS_TAG.name))) continue;
      for (const op of operations) expect(op.responses, path).not.toHaveProperty('405');
      const res = await call(`${ts.base}${path.replace(/\{[^}]+\}/g, 'x')}`, { method: 'PUT' });
      expect(res.status, path).toBe(405);
      expect(item.description, path).toBe(`Other methods: 405, \`Allow: ${res.headers.get('allow')}\``);
      paths++;
    }
    expect(paths).toBe(28);
  });

  it('redirects a listed path with one trailing slash as the info says: 307, /docs/ 308, a WebSocket endpoint 404', async () => {
    const info = doc.info.description;
    const expected: [string, number, string | null][] = [
      ['/events/?limit=1', 307, '/events?limit=1'],
      [`${API_PREFIX}/stats/`, 307, `${API_PREFIX}/stats`],
      ['/docs/', 308, '../docs'],
      ['/ws/subscribe/', 404, null],
    ];
    for (const [url, status, location] of expected) {
      const res = await call(`${ts.base}${url}`, { redirect: 'manual' });
      expect({ status: res.status, location: res.headers.get('location') }, url).toEqual({ status, location });
    }
    expect(info).toContain('redirected with 307');
    expect(info).toContain('`/docs/` (308 to `../docs`) and the WebSocket endpoints (404)');
  });

  it('answers a plain request to a WebSocket endpoint with the 426 its document shows, for any method', async () => {
    const endpoints = Object.entries(doc.paths).filter(([, item]) => getOf(item)?.tags.includes(WS_TAG.name));
    expect(endpoints.map(([path]) => path)).toEqual([
      '/ws/publish',
      '/ws/subscribe',
      `${API_PREFIX}/ws/publish`,
      `${API_PREFIX}/ws/subscribe`,
    ]);
    for (const [path, item] of endpoints) {
      const documented = resolved(getOf(item)?.responses['426'])?.content?.['application/json']?.example;
      for (const method of ['GET', 'POST']) {
        const res = await call(`${ts.base}${path}`, { method });
        expect(
          { status: res.status, body: res.body, upgrade: res.headers.get('upgrade') },
          `${method} ${path}`,
        ).toEqual({
          status: 426,
          body: documented,
          upgrade: 'websocket',
        });
      }
    }
  });

  it('types the JSON documents as the objects they are, each small enough that no 429 can refuse it', async () => {
    for (const path of ['/openapi.json', '/asyncapi.json', '/docs', '/docs/ws']) {
      const op = operationAt(path, 'GET')!;
      const res = await call(`${ts.base}${path}`);
      // Hint: an answer over 64 KiB is refused (429) to an address with MAX_HTTP_STREAMS_PER_IP answers under way;
      // these operations list no 429, which holds only while their answers stay smaller.
      expect(Buffer.byteLength(res.text), path).toBeLessThanOrEqual(LARGE_ANSWER_BYTES);
      expect(op.responses, path).not.toHaveProperty('429');
      const [media, body] = Object.entries(resolved(op.responses['200'])?.content ?? {})[0]!;
      expect(res.headers.get('content-type')?.split(';')[0], path).toBe(media);
      // Before: `{"type":"string"}` for the two JSON documents, which are objects.
      if (media !== 'application/json') expect(body.schema, path).toEqual({ type: 'string' });
      else {
        expect(body.schema?.type, path).toBe('object');
        const required = (body.schema?.required ?? []) as string[];
        expect(required.length, path).toBeGreaterThan(0);
        for (const key of required) expect(res.body, path).toHaveProperty(key);
      }
    }
  });
});

describe('/metrics behind the API key', () => {
  it('lists the 429 a guessed key gets once it has spent the query budget, which the right key never spends', async () => {
    const auth = await startTestServer({
      REQUIRE_AUTH: 'true',
      API_KEY: 'right-key',
      RATE_LIMIT_QUERY: '2 per minute',
    });
    try {
      const served = (await call<OpenApi>(`${auth.base}/openapi.json`)).body;
      const metrics = served.paths['/metrics']?.get;
      if (typeof metrics !== 'object') throw new Error('GET /metrics is not documented');
      expect(metrics.responses['429']?.$ref).toBe('#/components/responses/E429KeyGuess');
      const statuses: number[] = [];
      for (const key of ['wrong', 'wrong', 'wrong', 'right-key', 'right-key', 'right-key']) {
        const res = await call(`${auth.base}/metrics`, { headers: { 'X-API-Key': key } });
        statuses.push(res.status);
        const ref = metrics.responses[String(res.status)]?.$ref?.split('/').pop();
        const response = ref === undefined ? metrics.responses[String(res.status)] : served.components.responses[ref];
        for (const name of declaredSent(res.headers))
          expect(response?.headers, `${res.status}: ${name}`).toHaveProperty(name);
      }
      // Before: GET /metrics documented 200, 401, 405 and 500 only.
      expect(statuses).toEqual([401, 401, 429, 200, 200, 200]);
    } finally {
      await auth.stop();
    }
  });
});

/** The GET operation of a path item (a WebSocket endpoint has no other). */
function getOf(item: PathItem): Operation | undefined {
  const op = item.get;
  return typeof op === 'object' ? op : undefined;
}
