import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allowedMethods } from './allowedMethods.js';
import { API_PREFIX, type DocumentedRoute, openApiDocument, openApiPath } from './openApiDocument.js';
import { UntypedAnswerError } from './openApiResponses.js';
import { ROUTE_DOCS } from './openApiRoutes.js';
import { WS_ADDRESSES, WS_TAG } from './openApiWebSockets.js';

const KNOWN: DocumentedRoute[] = Object.keys(ROUTE_DOCS).map((key) => {
  const [method, pattern] = key.split(' ') as ['GET' | 'POST' | 'DELETE', string];
  return { method, pattern, auth: true, rate: 'query' };
});

interface Operation {
  deprecated?: boolean;
  'x-alias-of'?: string;
  operationId: string;
  tags: string[];
  requestBody?: unknown;
  responses: Record<string, { $ref?: string }>;
}
type PathItem = { description: string } & Record<string, Operation>;
type Paths = Record<string, PathItem>;
interface Media {
  example?: unknown;
  examples?: Record<string, { summary: string; value: unknown }>;
}
interface Response {
  headers?: Record<string, unknown>;
  content?: Record<string, Media>;
}
type Components = { responses: Record<string, Response>; headers: Record<string, unknown> };

/** The operations of a path item (its `description` is none), the WebSocket endpoints' left out. */
const operationsOf = (item: PathItem): [string, Operation][] =>
  Object.entries(item).filter(
    (entry): entry is [string, Operation] => typeof entry[1] === 'object' && !entry[1].tags.includes(WS_TAG.name),
  );
const componentOf = (doc: Record<string, unknown>, ref: string | undefined) =>
  (doc.components as Components).responses[ref?.split('/').pop() ?? ''];

describe('openApiDocument', () => {
  it('has two operations per route, neither deprecated, the versioned one naming the unversioned, and 401/429 where auth and rate say', () => {
    fc.assert(
      fc.property(
        fc.subarray(KNOWN, { minLength: 1 }),
        fc.boolean(),
        fc.constantFrom('none', 'query', 'publish'),
        (routes, auth, rate) => {
          const chosen = routes.map((route) => ({ ...route, auth, rate }));
          const paths = openApiDocument(chosen, '0').paths as Paths;
          let operations = 0;
          const ids = new Set<string>();
          for (const [path, item] of Object.entries(paths)) {
            for (const [, op] of operationsOf(item)) {
              operations++;
              ids.add(op.operationId);
              // Before: every unversioned path (the old service's own, which both READMEs use) was deprecated.
              expect(op.deprecated).toBeUndefined();
              expect(op['x-alias-of']).toBe(
                path.startsWith(`${API_PREFIX}/`) ? path.slice(API_PREFIX.length) : undefined,
              );
              expect('401' in op.responses).toBe(auth);
              // Before: a route no rate class covers listed no 429, though a guessed key spends the query budget.
              expect('429' in op.responses).toBe(rate !== 'none' || auth);
              const keyGuess = op.responses['429']?.$ref === '#/components/responses/E429KeyGuess';
              expect(keyGuess).toBe(rate === 'none' && auth);
              // Before: every operation listed 405, which a documented method never gets.
              expect('405' in op.responses).toBe(false);
            }
          }
          expect(operations).toBe(chosen.length * 2);
          expect(ids.size).toBe(operations);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('names on each path the Allow its other methods get with their 405', () => {
    const paths = openApiDocument(KNOWN, '0').paths as Paths;
    for (const [path, item] of Object.entries(paths)) {
      if (WS_ADDRESSES.some((address) => path.endsWith(address))) continue;
      const methods = operationsOf(item).map(([method]) => method.toUpperCase());
      expect(item.description, path).toBe(`Other methods: 405, \`Allow: ${allowedMethods(methods)}\``);
    }
  });

  it('lists the unversioned paths first and leaves assets (files a page loads) out', () => {
    const asset: DocumentedRoute = { method: 'GET', pattern: '/docs/docs.js', auth: false, rate: 'none', asset: true };
    const paths = Object.keys(openApiDocument([...KNOWN, asset], '0').paths as Paths);
    expect(paths).toHaveLength((new Set(KNOWN.map((route) => route.pattern)).size + WS_ADDRESSES.length) * 2);
    expect(paths.some((path) => path.includes('docs.js'))).toBe(false);
    expect(paths.slice(0, paths.length / 2).every((path) => !path.startsWith(API_PREFIX))).toBe(true);
  });

  it('declares the headers each answer carries: X-Request-Id on all, Retry-After on 429 and 503, Allow on 405', () => {
    const components = openApiDocument(KNOWN, '0').components as Components;
    for (const [name, response] of Object.entries(components.responses)) {
      expect(response.headers, name).toHaveProperty('X-Request-Id');
      for (const header of Object.keys(response.headers ?? {})) expect(components.headers, name).toHaveProperty(header);
    }
    for (const status of ['E429', 'E503', 'E429KeyGuess'])
      expect(components.responses[status]?.headers).toHaveProperty('Retry-After');
    expect(Object.keys(components.responses.E405?.headers ?? {})).toEqual(['X-Request-Id', 'Allow']);
    expect(Object.keys(components.responses.E404?.headers ?? {})).toEqual(['X-Request-Id']);
    expect(components.responses.get_events_200?.headers).toHaveProperty('X-Ignored-Query-Params');
    expect(components.responses.get_events_200?.headers).toHaveProperty('X-First-Available-Offset');
    expect(components.responses.post_events_201?.headers).toHaveProperty('X-Ignored-Fields');
  });

  it('gives every operation that answers 400 examples of its own 400s, and a json_invalid 422 where it parses a body', () => {
    const doc = openApiDocument(KNOWN, '0');
    // Before: one shared 400 example, "Invalid JSON body: …", which the server never sends (bad JSON is a 422).
    expect(componentOf(doc, 'E400')).toBeUndefined();
    let withBody = 0;
    for (const item of Object.values(doc.paths as Paths)) {
      for (const [, op] of operationsOf(item)) {
        const own = (status: string) => componentOf(doc, op.responses[status]?.$ref)?.content?.['application/json'];
        if ('400' in op.responses)
          expect(Object.keys(own('400')?.examples ?? {}).length, op.operationId).toBeGreaterThan(0);
        if (op.requestBody === undefined) continue;
        withBody++;
        const types = Object.values(own('422')?.examples ?? {}).map((e) => JSON.stringify(e.value));
        expect(
          types.some((text) => text.includes('"type":"json_invalid"')),
          op.operationId,
        ).toBe(true);
      }
    }
    expect(withBody).toBe(2);
  });

  it('refuses to type a JSON answer without a schema as a string, and types text answers as strings', () => {
    const route = (mediaType: string): DocumentedRoute => ({
      method: 'GET',
      pattern: '/thing',
      auth: false,
      rate: 'none',
      doc: { summary: 'A thing', tag: 'operator', responses: { 200: { description: 'It', mediaType } } },
    });
    // Before: /openapi.json and /asyncapi.json were documented as `{type: "string"}`, which no answer matched.
    expect(() => openApiDocument([route('application/json')], '0')).toThrow(UntypedAnswerError);
    const responses = (openApiDocument([route('text/html')], '0').components as Components).responses;
    expect(responses.get_thing_200?.content?.['text/html']).toEqual({ schema: { type: 'string' } });
  });

  it('writes every uWS parameter in OpenAPI form', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.stringMatching(/^[a-z-]{1,8}$/), fc.stringMatching(/^:[a-z_]{1,8}$/))),
        (parts) => {
          const path = openApiPath(`/${parts.join('/')}`);
          expect(path).not.toMatch(/\/:/);
          expect(path.split('/').filter((p) => p.startsWith('{')).length).toBe(
            parts.filter((p) => p.startsWith(':')).length,
          );
        },
      ),
    );
  });
});
