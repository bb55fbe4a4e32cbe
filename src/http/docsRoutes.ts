import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { asyncApiDocument, servedAsyncApiText } from '../protocol/asyncApiDocument.js';
import { type DocumentedRoute, openApiDocument } from '../protocol/openApiDocument.js';
import type { RouteDoc } from '../protocol/openApiRoutes.js';
import { asyncApiPage, DOCS_CSP, DOCS_CSS, SWAGGER_INIT, SWAGGER_PAGE } from './docsPages.js';
import type { Reply } from './reply.js';
import type { RouteSpec } from './restRouter.js';

/** The documents, serialized once at start from the valibot schemas and the routes the router registers. */
export interface ApiDocuments {
  readonly openApi: Record<string, unknown>;
  readonly asyncApi: ReturnType<typeof asyncApiDocument>;
}

/** Build both documents; throws UndocumentedRouteError when a registered route has no OpenAPI entry. */
export function apiDocuments(routes: readonly DocumentedRoute[], version: string): ApiDocuments {
  return { openApi: openApiDocument(routes, version), asyncApi: asyncApiDocument(version) };
}

/** `make()`, computed on first use and kept. */
function lazy<T>(make: () => T): () => T {
  let value: { readonly v: T } | null = null;
  return () => {
    value = value ?? { v: make() };
    return value.v;
  };
}

/** The swagger-ui-dist directory (resolved from this package's dependencies, never a CDN). */
function swaggerDist(): string {
  return dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
}

const CACHE = { 'Cache-Control': 'public, max-age=3600' };
const docOf = (summary: string, mediaType: string, description: string): RouteDoc => ({
  summary,
  tag: 'operator',
  responses: { 200: { description, mediaType } },
});

/** The entry of a route answering a JSON document: an object with `required` keys, as `what` names it. */
const documentDoc = (summary: string, what: string, required: readonly string[]): RouteDoc => ({
  summary,
  tag: 'operator',
  responses: {
    200: {
      description: what,
      mediaType: 'application/json',
      // Hint: the document itself, a JSON object (it was typed `{type: "string"}`, which no answer matched).
      jsonSchema: { type: 'object', description: what, required },
    },
  },
});

/** A GET route answering a fixed body: a page (documented) or a file a page loads (an asset, not an operation). */
function fixed(pattern: string, text: string | Buffer, type: string, doc: RouteDoc | 'asset', csp = false): RouteSpec {
  // Hint: encoded once, so an answer the socket cannot take at once is held without a copy of its own.
  const body = typeof text === 'string' ? Buffer.from(text) : text;
  const headers = { 'Content-Type': type, ...CACHE, ...(csp ? { 'Content-Security-Policy': DOCS_CSP } : {}) };
  return {
    method: 'GET',
    pattern,
    rate: 'none',
    auth: false,
    ...(doc === 'asset' ? { asset: true } : { doc }),
    handler: (_info, reply: Reply) => reply.send(200, body, headers),
  };
}

/**
 * /openapi.json, /asyncapi.json, Swagger UI at /docs (its files from swagger-ui-dist) and the WebSocket protocol at
 * /docs/ws. Public even with REQUIRE_AUTH: they describe the API and hold no data. `documents` is read when the
 * routes are mounted, after the OpenAPI document was built from every route including these.
 */
export function docsRoutes(documents: () => ApiDocuments): RouteSpec[] {
  const dist = swaggerDist();
  const read = (file: string) => readFileSync(join(dist, file));
  const openApiText = lazy(() => JSON.stringify(documents().openApi));
  const asyncApiText = lazy(() => JSON.stringify(documents().asyncApi));
  const wsPage = lazy(() => asyncApiPage(documents().asyncApi));
  const json = (pattern: string, text: () => string, doc: RouteDoc): RouteSpec => ({
    method: 'GET',
    pattern,
    rate: 'none',
    auth: false,
    doc,
    handler: (_info, reply) => reply.json(200, text(), {}, true),
  });
  return [
    json(
      '/openapi.json',
      openApiText,
      documentDoc('This document (OpenAPI 3.1)', 'The OpenAPI 3.1 document', ['openapi', 'info', 'paths']),
    ),
    {
      ...json(
        '/asyncapi.json',
        asyncApiText,
        documentDoc('The WebSocket protocol (AsyncAPI 3)', 'The AsyncAPI 3.0 document', [
          'asyncapi',
          'info',
          'channels',
        ]),
      ),
      // Hint: its server is the one the client asked, so a tool reading it connects back here, not to localhost:8001.
      handler: (info, reply) =>
        reply.json(200, servedAsyncApiText(asyncApiText(), info.host, reply.options.https), {}, true),
    },
    fixed('/docs', SWAGGER_PAGE, 'text/html; charset=utf-8', docOf('Swagger UI', 'text/html', 'An HTML page'), true),
    // Hint: /docs/ is what a browser or a hand-typed URL often asks for; the page's relative links need /docs.
    {
      method: 'GET',
      pattern: '/docs/',
      rate: 'none',
      auth: false,
      asset: true,
      handler: (_info, reply) =>
        reply.send(308, 'See ../docs\n', { Location: '../docs', 'Content-Type': 'text/plain' }),
    },
    {
      ...fixed('/docs/ws', '', 'text/html', docOf('The WebSocket protocol', 'text/html', 'An HTML page')),
      handler: (_info, reply) =>
        reply.send(200, wsPage(), {
          'Content-Type': 'text/html; charset=utf-8',
          'Content-Security-Policy': DOCS_CSP,
        }),
    },
    // Hint: the files the pages load are served but are no API operations (Swagger UI listed them as such).
    fixed('/docs/docs.js', SWAGGER_INIT, 'text/javascript', 'asset'),
    fixed('/docs/docs.css', DOCS_CSS, 'text/css', 'asset'),
    fixed('/docs/swagger-ui.css', read('swagger-ui.css'), 'text/css', 'asset'),
    fixed('/docs/swagger-ui-bundle.js', read('swagger-ui-bundle.js'), 'text/javascript', 'asset'),
  ];
}
