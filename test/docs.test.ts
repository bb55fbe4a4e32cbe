import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import { Parser } from '@asyncapi/parser';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOSE_ACK_BACKLOG } from '../src/http/wsPublish.js';
import { CLOSE_AT_CAPACITY } from '../src/http/wsSubscribe.js';
import { ASYNCAPI_MESSAGES, CLOSE_CODES } from '../src/protocol/asyncApiMessages.js';
import { EVENT_QUERY_PARAMS, parseEventQuery } from '../src/protocol/eventQuery.js';
import { OPENAPI_SCHEMAS } from '../src/protocol/openApiComponents.js';
import { API_PREFIX, openApiDocument, openApiPath, UndocumentedRouteError } from '../src/protocol/openApiDocument.js';
import { ROUTE_DOCS } from '../src/protocol/openApiRoutes.js';
import { WS_TAG } from '../src/protocol/openApiWebSockets.js';
import { SETTINGS } from '../src/settings.js';
import { call, event, JSON_TYPE } from './support/httpCall.js';
import { startTestServer, type TestServer } from './support/testServer.js';

type Ref<T> = T | { readonly $ref: string };
interface Media {
  readonly schema?: { $ref?: string };
  readonly example?: unknown;
  readonly examples?: Record<string, { value: unknown }>;
}
interface Parameter {
  readonly name: string;
  readonly in: string;
  readonly example: string | number;
}
interface Operation {
  readonly parameters: readonly Ref<Parameter>[];
  readonly deprecated?: boolean;
  readonly tags: readonly string[];
  readonly 'x-alias-of'?: string;
  readonly security?: readonly unknown[];
  readonly requestBody?: Ref<{ content: Record<string, Media> }>;
  readonly responses: Record<string, Ref<{ content?: Record<string, Media> }>>;
}
type OpenApi = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, JsonSchemaNode>;
    responses: Record<string, { content: Record<string, Media> }>;
  };
};

/** `node`, or what its `$ref` names in the served document. */
function resolved<T>(node: Ref<T>): T {
  if (typeof node !== 'object' || node === null || !('$ref' in node)) return node;
  let at: unknown = openApi;
  for (const key of node.$ref.slice(2).split('/')) at = (at as Record<string, unknown>)[key];
  return at as T;
}

/** The operations of the served document: [method, path, operation], the WebSocket endpoints' left out. */
function restOperations(): [string, string, Operation][] {
  return Object.entries(openApi.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([, op]) => typeof op === 'object' && !op.tags.includes(WS_TAG.name))
      .map(([method, op]) => [method, path, op] as [string, string, Operation]),
  );
}

interface JsonSchemaNode {
  readonly pattern?: string;
  readonly maxLength?: number;
  readonly minItems?: number;
  readonly anyOf?: readonly JsonSchemaNode[];
  readonly properties?: Record<string, JsonSchemaNode>;
}

const schemaNamed = (ref: string) => OPENAPI_SCHEMAS[ref.split('/').pop() as keyof typeof OPENAPI_SCHEMAS];

let ts: TestServer;
let openApi: OpenApi;
let asyncApiText: string;

beforeAll(async () => {
  ts = await startTestServer();
  openApi = (await call<OpenApi>(`${ts.base}/openapi.json`)).body;
  asyncApiText = (await call(`${ts.base}/asyncapi.json`)).text;
});
afterAll(() => ts.stop());

describe('OpenAPI document', () => {
  it('validates as OpenAPI 3.1 (swagger-parser validates 3.1 against its official schema), and a broken copy does not', async () => {
    expect(openApi.openapi).toBe('3.1.0');
    // Hint: the served text, from a file (json-schema-ref-parser refuses to fetch loopback URLs).
    const served = join(ts.dir, 'openapi.json');
    writeFileSync(served, (await call(`${ts.base}/openapi.json`)).text);
    await expect(SwaggerParser.validate(served)).resolves.toBeDefined();
    const broken: { paths: Record<string, Record<string, unknown>> } = JSON.parse(JSON.stringify(openApi));
    broken.paths[`${API_PREFIX}/events`]!.get = { responses: 'none' };
    const file = join(ts.dir, 'broken.json');
    writeFileSync(file, JSON.stringify(broken));
    await expect(SwaggerParser.validate(file)).rejects.toThrow();
  });

  it('lists every route the server registered but the assets, unversioned and as the same operation under /api/v1', () => {
    // Before: the unversioned paths, the old service's contract, were all deprecated (struck through in Swagger UI).
    const operations = ts.server.api.routes.filter((route) => route.asset !== true);
    expect(operations.length).toBeGreaterThanOrEqual(14);
    for (const route of operations) {
      const path = openApiPath(route.pattern);
      const method = route.method.toLowerCase();
      const unversioned = openApi.paths[path]?.[method];
      expect(unversioned, `${route.method} ${path}`).toBeDefined();
      expect(unversioned?.deprecated).toBeUndefined();
      expect(unversioned?.['x-alias-of']).toBeUndefined();
      const versioned = openApi.paths[`${API_PREFIX}${path}`]?.[method];
      expect(versioned?.deprecated).toBeUndefined();
      expect(versioned?.['x-alias-of'], `${route.method} ${path}`).toBe(path);
    }
    expect(restOperations().length).toBe(operations.length * 2);
    expect(Object.keys(openApi.paths).indexOf('/events')).toBe(0);
  });

  it('leaves the files the doc pages load out of the operations, though they are served', async () => {
    // Before: /docs/swagger-ui-bundle.js and the other scripts and stylesheets were listed as API operations.
    const assets = ts.server.api.routes.filter((route) => route.asset === true).map((route) => route.pattern);
    expect(assets.sort()).toEqual([
      '/docs/',
      '/docs/docs.css',
      '/docs/docs.js',
      '/docs/swagger-ui-bundle.js',
      '/docs/swagger-ui.css',
    ]);
    for (const path of Object.keys(openApi.paths)) expect(path).not.toMatch(/\.(js|css)$|\/$/);
    for (const asset of assets.filter((path) => !path.endsWith('/'))) {
      for (const prefix of ['', API_PREFIX]) expect((await call(`${ts.base}${prefix}${asset}`)).status).toBe(200);
    }
  });

  it('refuses to build for a route it has no words for (so a new route cannot go undocumented)', () => {
    expect(() => openApiDocument([{ method: 'GET', pattern: '/new-thing', auth: true, rate: 'query' }], '0')).toThrow(
      UndocumentedRouteError,
    );
  });

  it('documents the error shapes: 422 detail list, and {detail} for 401, 404, 405, 409, 413, 415, 429, 500 and 503', () => {
    for (const status of [401, 404, 405, 409, 413, 415, 422, 429, 500, 503]) {
      const media = openApi.components.responses[`E${status}`]!.content['application/json']!;
      const schema = schemaNamed(media.schema!.$ref!);
      expect(v.safeParse(schema, media.example).success, `E${status}`).toBe(true);
    }
    const post = openApi.paths[`${API_PREFIX}/events`]!.post!;
    for (const status of ['201', '400', '401', '409', '413', '415', '422', '429', '500', '503'])
      expect(post.responses[status]).toBeDefined();
    for (const [method, path, op] of restOperations()) expect(op.responses['500'], `${method} ${path}`).toBeDefined();
  });

  it('states the limits the server enforces on a published event, so a client checking the schema is not refused', async () => {
    const schemas = openApi.components.schemas;
    const field = (name: string) => {
      const node = schemas.EventInput!.properties![name]!;
      return node.anyOf?.[0] ?? node;
    };
    const refusals: [string, (node: JsonSchemaNode) => boolean, unknown][] = [
      ['source', (n) => !new RegExp(n.pattern!).test('quiz engine'), event({ source: 'quiz engine' })],
      ['id', (n) => !new RegExp(n.pattern!).test('a b'), { ...event(), id: 'a b' }],
      ['session_id', (n) => n.maxLength === 200, event({ session_id: 's'.repeat(201) })],
      ['user_id', (n) => n.maxLength === 200, event({ user_id: 'u'.repeat(201) })],
    ];
    for (const [name, documented, body] of refusals) {
      expect(documented(field(name)), name).toBe(true);
      const res = await call(`${ts.base}/events`, { method: 'POST', headers: JSON_TYPE, body: JSON.stringify(body) });
      expect(res.status, name).toBe(422);
    }
    expect(schemas.PublishBody!.anyOf![1]!.minItems).toBe(1);
    expect((await call(`${ts.base}/events`, { method: 'POST', headers: JSON_TYPE, body: '[]' })).status).toBe(422);
  });

  it('every example validates against the valibot schema it documents', () => {
    let checked = 0;
    for (const [, , op] of restOperations()) {
      const media = [
        ...Object.values(op.requestBody === undefined ? {} : resolved(op.requestBody).content),
        ...Object.values(op.responses).flatMap((r) => Object.values(resolved(r).content ?? {})),
      ];
      for (const m of media) {
        if (m.schema?.$ref === undefined) continue;
        const examples = [
          ...(m.example === undefined ? [] : [m.example]),
          ...Object.values(m.examples ?? {}).map((e) => e.value),
        ];
        for (const example of examples) {
          const result = v.safeParse(schemaNamed(m.schema.$ref), example);
          expect(result.success, `${m.schema.$ref}: ${JSON.stringify(result.issues?.[0]?.message)}`).toBe(true);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(40);
  });

  it('every example in the route table validates, including routes this build does not register', () => {
    for (const [key, doc] of Object.entries(ROUTE_DOCS)) {
      const examples: [string, unknown][] = Object.values(doc.responses).flatMap((r) =>
        r.schema !== undefined && r.example !== undefined ? [[r.schema, r.example] as [string, unknown]] : [],
      );
      if (doc.body !== undefined) examples.push([doc.body.schema, doc.body.example]);
      for (const [schema, example] of examples) {
        expect(v.safeParse(schemaNamed(schema), example).success, `${key} ${schema}`).toBe(true);
      }
    }
  });

  it('every documented query parameter example is accepted by the query parser', () => {
    for (const param of ROUTE_DOCS['GET /events']!.parameters!) {
      const parsed = parseEventQuery(new Map([[param.name, String(param.example)]]));
      expect(parsed.ok, param.name).toBe(true);
    }
  });

  it('documents exactly the query parameters GET /events reads (the others are named as ignored)', () => {
    const documented = ROUTE_DOCS['GET /events']!.parameters!.map((p) => p.name);
    expect(new Set(documented)).toEqual(EVENT_QUERY_PARAMS);
  });

  it("names each path parameter as the README's REST table does", () => {
    const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
    const templated = Object.keys(openApi.paths).filter((path) => path.includes('{') && !path.startsWith(API_PREFIX));
    expect(templated.length).toBeGreaterThan(1);
    for (const path of templated) expect(readme, path).toContain(`| \`${path}\` |`);
  });

  it('every documented path answers on a real server (no 404), path parameters filled with their examples', async () => {
    const example = { id: 'quiz-42-start', event_type: 'quiz_started', source: 'quiz-service', session_id: 'sess_42' };
    expect(
      (await call(`${ts.base}/events`, { method: 'POST', headers: JSON_TYPE, body: JSON.stringify(example) })).status,
    ).toBe(201);
    for (const [method, path, op] of restOperations()) {
      let url = path;
      for (const p of op.parameters.map(resolved).filter((q) => q.in === 'path'))
        url = url.replace(`{${p.name}}`, String(p.example));
      if (method === 'delete') url += '?before=2000-01-01T00:00:00Z';
      const init: RequestInit = { method: method.toUpperCase() };
      if (method === 'post') {
        init.body = JSON.stringify(example);
        init.headers = JSON_TYPE;
      }
      const res = await call(`${ts.base}${url}`, init);
      expect(res.status, `${method} ${url}`).not.toBe(404);
      expect(res.status, `${method} ${url}`).toBeLessThan(300);
    }
  });

  it('real replies validate against the documented response schemas', async () => {
    const checks: [string, keyof typeof OPENAPI_SCHEMAS][] = [
      ['/api/v1/events', 'EventRecords'],
      ['/api/v1/events/quiz-42-start', 'EventRecord'],
      ['/api/v1/stats', 'Stats'],
      ['/api/v1/health', 'Health'],
      ['/api/v1/readiness', 'Readiness'],
      ['/api/v1/sessions', 'SessionViews'],
      ['/api/v1/sessions/sess_42', 'SessionView'],
      ['/api/v1/event-types', 'EventTypes'],
    ];
    for (const [path, schema] of checks) {
      const res = await call(`${ts.base}${path}`);
      const result = v.safeParse(OPENAPI_SCHEMAS[schema], res.body);
      expect(result.success, `${path}: ${JSON.stringify(result.issues?.[0]?.path?.map((p) => p.key))}`).toBe(true);
    }
    const invalid = await call(`${ts.base}/events`, {
      method: 'POST',
      headers: JSON_TYPE,
      body: '{"event_type":"nope"}',
    });
    expect(invalid.status).toBe(422);
    expect(v.safeParse(OPENAPI_SCHEMAS.ValidationError, invalid.body).success).toBe(true);
  });
});

describe('AsyncAPI document', () => {
  it('parses with @asyncapi/parser without errors', async () => {
    const { document, diagnostics } = await new Parser().parse(asyncApiText);
    const errors = diagnostics.filter((d) => d.severity === 0);
    expect(errors.map((d) => `${d.message} at ${d.path.join('.')}`)).toEqual([]);
    expect(document?.version()).toBe('3.0.0');
    expect(
      document
        ?.channels()
        .all()
        .map((c) => c.address())
        .sort(),
    ).toEqual(['/ws/publish', '/ws/subscribe']);
    expect(document?.messages().all().length).toBe(Object.keys(ASYNCAPI_MESSAGES).length);
  });

  it('every example validates against the schema the server parses or builds that message with', () => {
    for (const [name, doc] of Object.entries(ASYNCAPI_MESSAGES)) {
      for (const example of doc.examples) expect(v.safeParse(doc.schema, example).success, name).toBe(true);
    }
    const served = JSON.parse(asyncApiText) as { components: { messages: Record<string, { examples: unknown[] }> } };
    expect(served.components.messages.subscribed!.examples.length).toBe(ASYNCAPI_MESSAGES.subscribed.examples.length);
  });

  it('names the server the client asked as its server, wss when a trusted proxy says https, not localhost:8001', async () => {
    type Served = { servers: Record<string, { host: string; protocol: string }> };
    const served = JSON.parse(asyncApiText) as Served;
    expect(Object.values(served.servers)).toEqual([
      expect.objectContaining({ host: new URL(ts.base).host, protocol: 'ws' }),
    ]);
    // Hint: the test's client is 127.0.0.1, a trusted proxy by default (TRUST_PROXY).
    const proxied = await call<Served>(`${ts.base}/asyncapi.json`, { headers: { 'X-Forwarded-Proto': 'https' } });
    expect(Object.values(proxied.body.servers)).toEqual([expect.objectContaining({ protocol: 'wss' })]);
  });

  it('names the close codes the server uses', () => {
    const codes = CLOSE_CODES.map((c) => c.code);
    for (const code of [CLOSE_ACK_BACKLOG, CLOSE_AT_CAPACITY, 4000, 4008, 1001, 1011]) expect(codes).toContain(code);
    expect(asyncApiText).toContain('from_offset');
    expect(asyncApiText).toContain('checkpoint');
  });
});

describe('/docs', () => {
  it('serves Swagger UI from swagger-ui-dist with its own CSP, and the WebSocket protocol page', async () => {
    const page = await call(`${ts.base}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.text).toContain('docs/swagger-ui-bundle.js');
    expect(page.text).not.toMatch(/https?:\/\//);
    const bundle = await call(`${ts.base}/docs/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect(bundle.text).toContain('SwaggerUIBundle');
    const ws = await call(`${ts.base}/docs/ws`);
    expect(ws.status).toBe(200);
    expect(ws.text).toContain('/ws/subscribe');
    expect(ws.text).toContain('4008');
    expect(ws.text).toContain('Checkpoint');
  });

  it('sends /docs/ to /docs, under the /api/v1 prefix too, where the page and its relative links work', async () => {
    for (const prefix of ['', '/api/v1']) {
      const slash = await call(`${ts.base}${prefix}/docs/`, { redirect: 'manual' });
      expect(slash.status).toBe(308);
      expect(new URL(slash.headers.get('location')!, `${ts.base}${prefix}/docs/`).href).toBe(
        `${ts.base}${prefix}/docs`,
      );
      const followed = await call(`${ts.base}${prefix}/docs/`);
      expect(followed.status).toBe(200);
      expect(followed.text).toContain('docs/swagger-ui-bundle.js');
    }
  });

  it('is public with REQUIRE_AUTH=true (the documents hold no data), while the API is not', async () => {
    const auth = await startTestServer({ REQUIRE_AUTH: 'true', API_KEY: 'k' });
    try {
      expect((await call(`${auth.base}/docs`)).status).toBe(200);
      expect((await call(`${auth.base}/openapi.json`)).status).toBe(200);
      expect((await call(`${auth.base}/stats`)).status).toBe(401);
    } finally {
      await auth.stop();
    }
  });

  // Hint: a probe found `/event-types` (public, as the REST table says) missing from REQUIRE_AUTH's list.
  it("is named, with every other route that needs no key, in REQUIRE_AUTH's text", () => {
    const meaning = SETTINGS.find((setting) => setting.name === 'REQUIRE_AUTH')?.meaning ?? '';
    const open = restOperations().filter(([, path, op]) => !path.startsWith(API_PREFIX) && op.security === undefined);
    expect(open.length).toBeGreaterThanOrEqual(7);
    for (const [, path] of open) expect(meaning, path).toContain(`\`${path}\``);
  });
});
