import { allowedMethods } from './allowedMethods.js';
import { openApiSchemaComponents } from './openApiComponents.js';
import { RESPONSE_HEADERS } from './openApiHeaders.js';
import { KEY_GUESS_429, type OperationDoc, operationName, responseComponents } from './openApiResponses.js';
import { ROUTE_DOCS, type RouteDoc } from './openApiRoutes.js';
import { WS_ADDRESSES, WS_TAG, wsPathItem, wsResponseComponents } from './openApiWebSockets.js';

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

const INFO =
  "Durable SQLite event log with live filtered routing and replay from offset. Every path is served unversioned (as the old service's clients call it) and, as the same operation, under `/api/v1`. The WebSocket endpoints' messages are described by the AsyncAPI document at `/asyncapi.json` (rendered at `/docs/ws`).\n\n" +
  "Besides the operations listed: a listed path asked with another method answers 405 with `Allow` naming its methods (each path's description names them; the `E405` response), a WebSocket endpoint 426; OPTIONS answers a CORS preflight (204); a GET operation answers HEAD with the same headers and no body; a listed path with one trailing slash (`/events/`) is redirected with 307 to the path without it, query kept (a POST stays a POST), except `/docs/` (308 to `../docs`) and the WebSocket endpoints (404); any other path answers 404. Every answer carries `X-Request-Id`, but a failure before the request could be read.";

/** `/events/:id` → `/events/{id}`. */
export function openApiPath(pattern: string): string {
  return pattern.replace(/:([A-Za-z_]\w*)/g, '{$1}');
}

/** The component answering `status` for `route`: its own refusal, the key-guess 429, or the shared one. */
function errorComponent(route: DocumentedRoute, doc: RouteDoc, path: string, status: number): string {
  if (doc.refusals !== undefined && Object.hasOwn(doc.refusals, status))
    return `${operationName(route.method, path)}_${status}`;
  return status === 429 && route.rate === 'none' ? KEY_GUESS_429 : `E${status}`;
}

/** The error statuses `route` answers. Hint: no 405: a documented method never gets it (see the path's description). */
function errorStatuses(route: DocumentedRoute, doc: RouteDoc): number[] {
  const errors = new Set([...(doc.errors ?? []), ...Object.keys(doc.refusals ?? {}).map(Number), 500]);
  if (route.auth) errors.add(401);
  // Hint: a route no rate class covers (/metrics) still charges a guessed key to the query budget (RestRouter).
  if (route.rate !== 'none' || route.auth) errors.add(429);
  return [...errors].sort((a, b) => a - b);
}

/** `components.parameters` (`get_events_since`) and `requestBodies` (`post_events`), once for both forms. */
function operationParts(operations: readonly OperationDoc[]) {
  const parameters: Record<string, unknown> = {};
  const requestBodies: Record<string, unknown> = {};
  for (const [method, path, doc] of operations) {
    const name = operationName(method, path);
    for (const p of doc.parameters ?? []) parameters[`${name}_${p.name}`] = { ...p, required: p.in === 'path' };
    if (doc.body === undefined) continue;
    const schema = { $ref: `#/components/schemas/${doc.body.schema}` };
    requestBodies[name] = {
      required: true,
      description: doc.body.description,
      content: { 'application/json': { schema, example: doc.body.example } },
    };
  }
  return { parameters, requestBodies };
}

function operation(route: DocumentedRoute, doc: RouteDoc, path: string, versioned: boolean): Record<string, unknown> {
  const name = operationName(route.method, path);
  const ref = (kind: string, key: string | number) => ({ $ref: `#/components/${kind}/${name}_${key}` });
  const responses: Record<string, unknown> = {};
  for (const status of Object.keys(doc.responses)) responses[status] = ref('responses', status);
  for (const status of errorStatuses(route, doc))
    responses[String(status)] = { $ref: `#/components/responses/${errorComponent(route, doc, path, status)}` };
  const text = doc.description ?? doc.summary;
  const op: Record<string, unknown> = {
    // Hint: unique across both forms (`get_events`, `get_api_v1_events`), as OpenAPI requires.
    operationId: versioned ? operationName(route.method, API_PREFIX + path) : name,
    summary: doc.summary,
    description: `${text}${text.endsWith('.') ? '' : '.'}`,
    tags: [doc.tag],
    parameters: (doc.parameters ?? []).map((p) => ref('parameters', p.name)),
    responses,
  };
  if (doc.body !== undefined) op.requestBody = { $ref: `#/components/requestBodies/${name}` };
  if (route.auth) op.security = [{ ApiKey: [] }];
  // Hint: the unversioned paths are the old service's contract, which its clients and both READMEs use; neither
  // form is deprecated, and the versioned one says which operation it is. Its words are the unversioned one's:
  // stated twice, they took the document past 64 KiB (see operationName).
  if (versioned) {
    op['x-alias-of'] = path;
    op.description = `The same operation as \`${path}\`, under the versioned prefix.`;
  }
  return op;
}

/**
 * The OpenAPI 3.1 document for `routes` (assets left out), each unversioned, as the old service's clients call it,
 * and under /api/v1 as the same operation.
 */
export function openApiDocument(routes: readonly DocumentedRoute[], version: string): Record<string, unknown> {
  const documented: [DocumentedRoute, RouteDoc][] = [];
  for (const route of routes) {
    if (route.asset === true) continue;
    const doc = route.doc ?? ROUTE_DOCS[`${route.method} ${route.pattern}`];
    if (doc === undefined) throw new UndocumentedRouteError(`${route.method} ${route.pattern} has no OpenAPI entry`);
    documented.push([route, doc]);
  }
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [prefix, versioned] of [
    ['', false],
    [API_PREFIX, true],
  ] as const) {
    for (const [route, doc] of documented) {
      const path = openApiPath(route.pattern);
      const methods = documented.filter(([other]) => other.pattern === route.pattern).map(([other]) => other.method);
      paths[prefix + path] = {
        // Hint: the router answers a method not listed here with 405 and this same Allow (allowedMethods).
        description: `Other methods: 405, \`Allow: ${allowedMethods(methods)}\``,
        ...paths[prefix + path],
        [route.method.toLowerCase()]: operation(route, doc, path, versioned),
      };
    }
    for (const address of WS_ADDRESSES) {
      const path = prefix + address;
      paths[path] = wsPathItem(address, path, operationName('GET', path), versioned ? address : undefined);
    }
  }
  const operations = documented.map(([route, doc]) => [route.method, openApiPath(route.pattern), doc] as const);
  return {
    openapi: '3.1.0',
    info: { title: 'Realtime event pipeline', version, description: INFO },
    servers: [{ url: '/' }],
    tags: [
      { name: 'events', description: 'Publish, query and delete events' },
      { name: 'sessions', description: 'Session state folded from the log' },
      { name: 'service', description: 'Health, readiness and counters' },
      { name: 'operator', description: 'Documents and metrics' },
      WS_TAG,
    ],
    paths,
    components: {
      schemas: openApiSchemaComponents(),
      responses: { ...responseComponents(operations), ...wsResponseComponents() },
      ...operationParts(operations),
      headers: RESPONSE_HEADERS,
      securitySchemes: {
        ApiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        ApiKeyQuery: { type: 'apiKey', in: 'query', name: 'api_key', description: 'The WebSocket endpoints only' },
      },
    },
  };
}
