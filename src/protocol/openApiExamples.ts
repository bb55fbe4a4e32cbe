import type * as v from 'valibot';
import type { EventInputSchema } from './eventInput.js';
import type {
  EventRecordSchema,
  HealthSchema,
  RouterStatsSchema,
  SessionViewSchema,
  StatsSchema,
  SubscriberListingSchema,
} from './openApiSchemas.js';

// Hint: typed by the schemas' input/output, so a schema change that breaks an example fails to compile; the docs
// test also parses each example with its schema at run time (checks the types cannot express: patterns, ranges).

/** A producer's event, as POST /events and /ws/publish take it. */
export const EVENT_INPUT_EXAMPLE: v.InferInput<typeof EventInputSchema> = {
  id: 'quiz-42-start',
  event_type: 'quiz_started',
  source: 'quiz-service',
  session_id: 'sess_42',
  user_id: 'user_7',
  payload: { quiz_id: 'quiz_42', question_count: 10 },
};

/** The record the server stores for it. */
export const EVENT_RECORD_EXAMPLE: v.InferOutput<typeof EventRecordSchema> = {
  id: 'quiz-42-start',
  offset: 1,
  event_type: 'quiz_started',
  source: 'quiz-service',
  session_id: 'sess_42',
  user_id: 'user_7',
  payload: { quiz_id: 'quiz_42', question_count: 10 },
  timestamp: '2026-01-31T12:00:00.000Z',
};

const ROUTER_EXAMPLE: v.InferOutput<typeof RouterStatsSchema> = {
  active_subscribers: 2,
  lagging_subscribers: 0,
  replaying_subscribers: 1,
  active_sessions: 1,
  publishers: 1,
  events_delivered: 2,
  events_routed: 1,
  group_commits: 1,
  queue_size: 0,
  queue_bytes: 0,
};

export const STATS_EXAMPLE: v.InferOutput<typeof StatsSchema> = {
  total_events: 1,
  events_last_hour: 1,
  by_type: [{ event_type: 'quiz_started', count: 1, last_seen: '2026-01-31T12:00:00.000Z' }],
  router: ROUTER_EXAMPLE,
  head_offset: 1,
  first_offset: 1,
  epoch: 'k3v9x0c2m7q1w8zt',
};

export const HEALTH_EXAMPLE: v.InferOutput<typeof HealthSchema> = {
  status: 'ok',
  service: 'event-pipeline',
  version: '0.1.0',
  build: 'b19f72c0a1d2',
  epoch: 'k3v9x0c2m7q1w8zt',
};

export const READY_EXAMPLE = {
  ready: true,
  database: 'connected',
  head_offset: 1,
  epoch: 'k3v9x0c2m7q1w8zt',
  router: ROUTER_EXAMPLE,
} as const;

export const NOT_READY_EXAMPLE = {
  ready: false,
  database: 'connected',
  reason: 'disk full: commits are failing',
  router: ROUTER_EXAMPLE,
} as const;

export const SESSION_EXAMPLE: v.InferOutput<typeof SessionViewSchema> = {
  session_id: 'sess_42',
  status: 'in_progress',
  user_ids: ['user_7'],
  user_count: 1,
  event_count: 1,
  counts: { quiz_started: 1 },
  first_offset: 1,
  last_offset: 1,
  started_at: '2026-01-31T12:00:00.000Z',
  completed_at: null,
  quiz_id: 'quiz_42',
};

export const SUBSCRIBERS_EXAMPLE: v.InferOutput<typeof SubscriberListingSchema> = {
  head_offset: 120,
  total: 2,
  by_mode: { awaiting_config: 0, replaying: 1, live: 1, lagging: 0 },
  subscribers: [
    {
      id: 'sub_x1y2z3a4b5c6',
      mode: 'replaying',
      filter: { session_id: 'sess_42' },
      next_offset: 61,
      last_delivered: 60,
      lag: 60,
      connected_at: '2026-01-31T12:00:00.000Z',
      last_activity: '2026-01-31T12:00:01.000Z',
    },
  ],
};

/** One example per shared error status, in the shape the server sends (400s are each operation's own). */
export const ERROR_EXAMPLES: Readonly<Record<number, unknown>> = {
  401: { detail: 'Invalid or missing API key' },
  403: {
    detail:
      'DELETE from a page of another origin (Origin: "https://evil.example") is refused: list that origin in CORS_ORIGINS to let its pages delete events',
  },
  404: { detail: 'Not Found' },
  405: { detail: 'Method Not Allowed' },
  409: { detail: 'event id "quiz-42-start" already exists with different content' },
  413: { detail: 'request body exceeds 10485760 bytes' },
  415: { detail: 'Content-Encoding: "gzip" is not supported; send the body uncompressed' },
  422: {
    detail: [
      {
        type: 'missing',
        loc: ['body', 'source'],
        msg: 'source: field required',
        input: { event_type: 'quiz_started' },
      },
    ],
  },
  429: { detail: 'rate limit exceeded (RATE_LIMIT_PUBLISH: 1000 per minute per client); retry in 3 s' },
  500: { detail: 'Internal server error' },
  503: { detail: 'too many events are waiting for a commit (MAX_PENDING_EVENTS: 100000); retry shortly' },
};
