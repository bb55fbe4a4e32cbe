import { EVENT_TYPE_DESCRIPTIONS } from './eventTypes.js';
import * as ex from './openApiExamples.js';
import type { ResponseHeader } from './openApiHeaders.js';
import { isoParameter, limitSchema, type ParameterDoc, pathId, QUERY_PARAMETERS } from './openApiParameters.js';
import * as rf from './openApiRefusals.js';
import { SESSION_STATUSES } from './sessionStatus.js';

/** A named schema of the document (see OPENAPI_SCHEMAS). */
export type SchemaName =
  | 'PublishBody'
  | 'Published'
  | 'EventRecord'
  | 'EventRecords'
  | 'Stats'
  | 'Health'
  | 'Readiness'
  | 'SessionView'
  | 'SessionViews'
  | 'EventTypes'
  | 'Deleted'
  | 'SubscriberListing';

/** One documented reply: a named schema (JSON) or a media type of its own (text, HTML, a JSON document). */
export interface ResponseDoc {
  readonly description: string;
  readonly schema?: SchemaName;
  readonly mediaType?: string;
  /** The JSON Schema of a JSON answer no named schema describes (the API documents themselves). */
  readonly jsonSchema?: Readonly<Record<string, unknown>>;
  readonly example?: unknown;
  /** Headers it carries besides X-Request-Id (which every answer carries). */
  readonly headers?: readonly ResponseHeader[];
}

/** What the document says about one route; the router's own table says its method, path, auth and rate class. */
export interface RouteDoc {
  readonly summary: string;
  readonly description?: string;
  readonly tag: 'events' | 'sessions' | 'service' | 'operator';
  readonly parameters?: readonly ParameterDoc[];
  readonly body?: { readonly schema: SchemaName; readonly example: unknown; readonly description: string };
  readonly responses: Readonly<Record<number, ResponseDoc>>;
  /** Error statuses this route answers with the shared words, besides 401/429/500 (its auth and rate class say those). */
  readonly errors?: readonly number[];
  /** Error statuses it answers with words and examples of its own: the request that gets each, and the answer. */
  readonly refusals?: rf.Refusals;
}

const IGNORED_PARAMS: ResponseHeader = 'X-Ignored-Query-Params';
const IGNORED_FIELDS: ResponseHeader = 'X-Ignored-Fields';

/** The document's words for each route, keyed `METHOD /pattern` as the router registers it (uWS `:param` form). */
export const ROUTE_DOCS: Readonly<Record<string, RouteDoc>> = {
  'POST /events': {
    summary: 'Publish one event or an all-or-nothing batch',
    description:
      'Acked after the group commit that makes the events durable. A producer `id` makes the publish idempotent: the same id and content answers 200 with the stored record; the same id with other content is a 409. Fields no rule reads are accepted, not stored, and named in the `X-Ignored-Fields` response header.',
    tag: 'events',
    body: { schema: 'PublishBody', example: ex.EVENT_INPUT_EXAMPLE, description: 'One event, or an array of events' },
    responses: {
      201: {
        description: 'Stored: the record (an array of records for an array body)',
        schema: 'Published',
        example: ex.EVENT_RECORD_EXAMPLE,
        headers: [IGNORED_FIELDS],
      },
      200: {
        description: 'Every event was a duplicate of a stored one: the stored record(s)',
        schema: 'Published',
        headers: [IGNORED_FIELDS],
      },
    },
    errors: [409, 413, 415, 503],
    refusals: rf.PUBLISH_REFUSALS,
  },
  'GET /events': {
    summary: 'Query stored events',
    description:
      'A repeated `event_type` asks for each of its types, as a comma-separated list does. Parameters not listed here are ignored, as by the old service, and named in the `X-Ignored-Query-Params` response header (percent-encoded, comma-separated), so a misspelt filter is visible. When retention deleted part of the range asked for (`after_offset` + 1, or 1, below the first stored offset), `X-First-Available-Offset` names the first stored offset.',
    tag: 'events',
    parameters: QUERY_PARAMETERS,
    responses: {
      200: {
        description: 'Matching records',
        schema: 'EventRecords',
        example: [ex.EVENT_RECORD_EXAMPLE],
        headers: [IGNORED_PARAMS, 'X-First-Available-Offset'],
      },
    },
    refusals: rf.QUERY_REFUSALS,
  },
  'GET /events/:id': {
    summary: 'One event by id',
    tag: 'events',
    parameters: [pathId('id', 'Event id (server-assigned or the producer id)', 'quiz-42-start')],
    responses: { 200: { description: 'The record', schema: 'EventRecord', example: ex.EVENT_RECORD_EXAMPLE } },
    refusals: rf.EVENT_REFUSALS,
  },
  'DELETE /events': {
    summary: 'Retention: delete events older than a time',
    description:
      'Retention: delete events older than a time (all when `before` is absent; an empty `before` or any other parameter is refused with 400). A log that refuses the write (a full disk) answers 503 (retry) naming why. In cluster mode the stream is purged first: 503 (retry) while it cannot be reached, 409 when it denies purges; each deletes nothing. Sent by a web page (an `Origin` header) of another origin that CORS_ORIGINS does not list by name: 403, deleting nothing',
    tag: 'events',
    parameters: [isoParameter('before', 'Delete events stored before this time')],
    responses: { 200: { description: 'How many were deleted', schema: 'Deleted', example: { deleted: 12 } } },
    errors: [403, 409, 503],
    refusals: rf.RETENTION_REFUSALS,
  },
  'GET /stats': {
    summary: 'Log and router counters',
    tag: 'service',
    responses: { 200: { description: 'Counters', schema: 'Stats', example: ex.STATS_EXAMPLE } },
  },
  'GET /event-types': {
    summary: 'Known event types and what they mean',
    tag: 'events',
    responses: { 200: { description: 'Name → description', schema: 'EventTypes', example: EVENT_TYPE_DESCRIPTIONS } },
  },
  'GET /health': {
    summary: 'Liveness (never behind auth)',
    tag: 'service',
    responses: { 200: { description: 'The process answers', schema: 'Health', example: ex.HEALTH_EXAMPLE } },
  },
  'GET /readiness': {
    summary: 'Readiness: the log answers and takes writes (never behind auth)',
    tag: 'service',
    responses: {
      200: { description: 'Ready', schema: 'Readiness', example: ex.READY_EXAMPLE },
      503: { description: 'Not ready, and why', schema: 'Readiness', example: ex.NOT_READY_EXAMPLE },
    },
  },
  'GET /sessions': {
    summary: 'Sessions folded from the log, the one with the newest event first',
    tag: 'sessions',
    parameters: [
      {
        name: 'status',
        in: 'query',
        description: 'Only sessions in this status',
        schema: { type: 'string', enum: [...SESSION_STATUSES] },
        example: 'in_progress',
      },
      { name: 'limit', in: 'query', description: 'At most this many', schema: limitSchema(1000, 100), example: 10 },
    ],
    responses: {
      200: {
        description: 'Session views',
        schema: 'SessionViews',
        example: [ex.SESSION_EXAMPLE],
        headers: [IGNORED_PARAMS],
      },
    },
    errors: [503],
    refusals: rf.SESSIONS_REFUSALS,
  },
  'GET /subscribers': {
    summary: 'Open subscribers by mode, the most lagging listed with their filter, position and lag',
    tag: 'service',
    parameters: [
      {
        name: 'limit',
        in: 'query',
        description: 'List at most this many',
        schema: limitSchema(1000, 100),
        example: 50,
      },
    ],
    responses: {
      200: {
        description: 'The listing',
        schema: 'SubscriberListing',
        example: ex.SUBSCRIBERS_EXAMPLE,
        headers: [IGNORED_PARAMS],
      },
    },
    refusals: rf.SUBSCRIBERS_REFUSALS,
  },
  'GET /sessions/:session_id': {
    summary: "One session's state",
    description:
      '`user_ids` holds at most `user_limit` (default and most 1000) of its users in order of their first event, after ' +
      'the first `user_skip`; `user_count` counts them all. `user_limit=0` answers the rest of the view alone (a cheap poll).',
    tag: 'sessions',
    parameters: [
      pathId('session_id', 'Session id', 'sess_42'),
      {
        name: 'user_skip',
        in: 'query',
        description: 'Leave out this many users, in order of their first event',
        schema: { type: 'integer', minimum: 0, default: 0 },
        example: 1000,
      },
      {
        name: 'user_limit',
        in: 'query',
        description: 'List at most this many users in `user_ids`',
        schema: { type: 'integer', minimum: 0, maximum: 1000, default: 1000 },
        example: 20,
      },
    ],
    responses: {
      200: {
        description: 'The session view',
        schema: 'SessionView',
        example: ex.SESSION_EXAMPLE,
        headers: [IGNORED_PARAMS],
      },
    },
    errors: [503],
    refusals: rf.SESSION_REFUSALS,
  },
};
