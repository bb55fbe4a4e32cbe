import { openApiSchemaComponents } from './openApiComponents.js';
import { ERROR_EXAMPLES } from './openApiExamples.js';
import { type ResponseDoc, ROUTE_DOCS, type RouteDoc } from './openApiRoutes.js';

/** A route as the router registers it, with its document entry when it carries its own (operator routes). */
export interface DocumentedRoute {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** uWS form: `/events/:id`. */
  readonly pattern: string;
  readonly auth: boolean;
  /** Rate class; anything but `none` can answer 429. */
  readonly rate: string;
  readonly doc?: RouteDoc;
  /** A file a page loads (a script, a stylesheet) or a redirect to a page: served, but no API operation. */
  readonly asset?: true;
}

/** Thrown at start (and in the docs test) for a registered route the document has no words for. */
export class UndocumentedRouteError extends Error {
  override readonly name = 'UndocumentedRouteError';
}

/** The versioned prefix: every path is served under it too, as the same operation as the unversioned one. */
export const API_PREFIX = '/api/v1';

const ERROR_WORDS: Readonly<Record<number, string>> = {
  400: 'A body whose bytes are not UTF-8 text (FastAPI\'s "There was an error parsing the body: …"), or a bad timestamp',
  401: 'Missing or wrong `X-API-Key` (only when REQUIRE_AUTH=true)',
  403: 'A DELETE sent by a web page (an `Origin` header) of another origin that CORS_ORIGINS does not list by name',
  404: 'No such resource',
  405: 'The path exists, but not with this method (`Allow` lists the methods)',
  409: 'A producer id already stored with different content, or given to two different events of one batch',
  413: 'Body larger than MAX_BODY_BYTES',
  415: 'A compressed body (`Content-Encoding` other than `identity`; `Accept-Encoding: identity`), or a `Content-Type` that is not JSON',
  422: 'Validation failed: one entry per field at fault; also, as FastAPI answers them, a body that is not JSON (`type: json_invalid`, `loc: ["body", position]`, the reason in `ctx.error`) and an empty body (`type: missing`, `loc: ["body"]`)',
  429: 'Per-client limit (RATE_LIMIT_*; MAX_HTTP_STREAMS_PER_IP answers under way for GET /events and for an answer over 64 KiB, for POST /events MAX_BODY_BUFFER_BYTES_PER_IP bytes of bodies being received); `Retry-After` says when to retry',
  500: 'An unexpected failure (logged with the path; the server keeps serving), or a read that met a damaged page of the log, named with its file',
  503: 'Over MAX_PENDING_EVENTS, MAX_PENDING_BYTES or MAX_BODY_BUFFER_BYTES, shutting down, or the log refuses writes; `Retry-After: 1`',
};

const RETRY_AFTER = { description: 'Seconds to wait before retrying', schema: { type: 'integer', minimum: 1 } };

/** `/events/:id` → `/events/{id}`. */
export function openApiPath(pattern: string): string {
  return pattern.replace(/:([A-Za-z_]\w*)/g, '{$1}');
}

function errorResponses(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [status, description] of Object.entries(ERROR_WORDS)) {
    const schema = status === '422' ? 'ValidationError' : 'Error';
    out[`E${status}`] = {
      description,
      // Hint: a 429 always says when to retry, and so does a 503.
      ...(status === '429' || status === '503' ? { headers: { 'Retry-After': RETRY_AFTER } } : {}),
      content: {
        'application/json': {
          schema: { $ref: `#/components/schemas/${schema}` },
          example: ERROR_EXAMPLES[Number(status)],
        },
      },
    };
  }
  return out;
}

function response(doc: ResponseDoc): Record<string, unknown> {
  if (doc.schema === undefined && doc.mediaType === undefined) return { description: doc.description };
  const media = doc.mediaType ?? 'application/json';
  const schema = doc.schema === undefined ? { type: 'string' } : { $ref: `#/components/schemas/${doc.schema}` };
  const content = doc.example === undefined ? { schema } : { schema, example: doc.example };
  return { description: doc.description, content: { [media]: content } };
}

function operation(route: DocumentedRoute, doc: RouteDoc, path: string, versioned: boolean): Record<string, unknown> {
  const responses: Record<string, unknown> = {};
  for (const [status, reply] of Object.entries(doc.responses)) responses[status] = response(reply);
  const errors = new Set([...(doc.errors ?? []), 405, 500]);
  if (route.auth) errors.add(401);
  if (route.rate !== 'none') errors.add(429);
  for (const status of [...errors].sort()) responses[String(status)] = { $ref: `#/components/responses/E${status}` };
  const head = route.method === 'GET' ? ' HEAD answers with the same headers and no body.' : '';
  const text = doc.description ?? doc.summary;
  const op: Record<string, unknown> = {
    // Hint: unique across both forms (`get_events`, `get_api_v1_events`), as OpenAPI requires.
    operationId: `${route.method.toLowerCase()}${(versioned ? API_PREFIX + path : path).replace(/[^A-Za-z0-9]+/g, '_')}`,
    summary: doc.summary,
    description: `${text}${text.endsWith('.') ? '' : '.'}${head}`,
    tags: [doc.tag],
    parameters: (doc.parameters ?? []).map((p) => ({ ...p, required: p.in === 'path' })),
    responses,
  };
  if (doc.body !== undefined) {
    op.requestBody = {
      required: true,
      description: doc.body.description,
      content: {
        'application/json': { schema: { $ref: `#/components/schemas/${doc.body.schema}` }, example: doc.body.example },
      },
    };
  }
  if (route.auth) op.security = [{ ApiKey: [] }];
  // Hint: the unversioned paths are the old service's contract, which its clients and both READMEs use; neither
  // form is deprecated, and the versioned one says which operation it is.
  if (versioned) {
    op['x-alias-of'] = path;
    op.description = `The same operation as \`${path}\`, under the versioned prefix. ${op.description}`;
  }
  return op;
}

/**
 * The OpenAPI 3.1 document for `routes` (assets left out), each unversioned, as the old service's clients call it,
 * and under /api/v1 as the same operation.
 */
export function openApiDocument(routes: readonly DocumentedRoute[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [prefix, versioned] of [
    ['', false],
    [API_PREFIX, true],
  ] as const) {
    for (const route of routes) {
      if (route.asset === true) continue;
      const doc = route.doc ?? ROUTE_DOCS[`${route.method} ${route.pattern}`];
      if (doc === undefined) throw new UndocumentedRouteError(`${route.method} ${route.pattern} has no OpenAPI entry`);
      const path = openApiPath(route.pattern);
      paths[prefix + path] = {
        ...paths[prefix + path],
        [route.method.toLowerCase()]: operation(route, doc, path, versioned),
      };
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Realtime event pipeline',
      version,
      description:
        "Durable SQLite event log with live filtered routing and replay from offset. Every path is served unversioned (as the old service's clients call it) and, as the same operation, under `/api/v1`. The WebSocket endpoints are described by the AsyncAPI document at `/asyncapi.json` (rendered at `/docs/ws`).",
    },
    servers: [{ url: '/' }],
    tags: [
      { name: 'events', description: 'Publish, query and delete events' },
      { name: 'sessions', description: 'Session state folded from the log' },
      { name: 'service', description: 'Health, readiness and counters' },
      { name: 'operator', description: 'Documents and metrics' },
    ],
    paths,
    components: {
      schemas: openApiSchemaComponents(),
      responses: errorResponses(),
      securitySchemes: { ApiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' } },
    },
  };
}
