import * as v from 'valibot';
import type { RouterStats, SessionView } from '../actors/pipelinePort.js';
import type { LogStats } from '../persistence/eventLog.js';
import type { EventRecord } from './eventRecord.js';
import { EVENT_TYPES } from './eventTypes.js';
import type { DetailEntry } from './issue.js';
import { SESSION_STATUSES } from './sessionStatus.js';

// Hint: the request schemas are the server's own (EventInputSchema, SubscribeSchema…). Replies are built from
// TypeScript interfaces, so their schemas live here, each held equal to its interface by a compile-time check below:
// change a reply's interface and this file stops compiling until its schema (and so the documents) follow.

/** T with every level readonly, so a schema's mutable arrays compare equal to an interface's readonly ones. */
type Frozen<T> = T extends readonly (infer U)[]
  ? readonly Frozen<U>[]
  : T extends object
    ? { readonly [K in keyof T]: Frozen<T[K]> }
    : T;
/** True when A and B are mutually assignable, readonly aside. */
export type Exactly<A, B> = [Frozen<A>] extends [Frozen<B>] ? ([Frozen<B>] extends [Frozen<A>] ? true : false) : false;
/** Compiles only for `true`. */
export type Assert<T extends true> = T;

const nullableText = v.nullable(v.string());
const offset = v.pipe(v.number(), v.integer(), v.minValue(0));
const iso = v.pipe(v.string(), v.isoTimestamp());

/** One stored event as every endpoint returns it. */
export const EventRecordSchema = v.object({
  id: v.string(),
  offset: v.pipe(v.number(), v.integer(), v.minValue(1)),
  event_type: v.picklist(EVENT_TYPES),
  source: v.string(),
  session_id: nullableText,
  user_id: nullableText,
  payload: v.record(v.string(), v.unknown()),
  timestamp: iso,
});
export type EventRecordMatches = Assert<Exactly<v.InferOutput<typeof EventRecordSchema>, EventRecord>>;

/** The `router` block of /stats and /readiness. */
export const RouterStatsSchema = v.object({
  active_subscribers: offset,
  lagging_subscribers: offset,
  replaying_subscribers: offset,
  active_sessions: offset,
  publishers: offset,
  events_delivered: offset,
  events_routed: offset,
  group_commits: offset,
  queue_size: offset,
  queue_bytes: offset,
});
export type RouterStatsMatches = Assert<Exactly<v.InferOutput<typeof RouterStatsSchema>, RouterStats>>;

/** GET /stats. */
export const StatsSchema = v.object({
  total_events: offset,
  events_last_hour: offset,
  by_type: v.array(v.object({ event_type: v.picklist(EVENT_TYPES), count: offset, last_seen: iso })),
  router: RouterStatsSchema,
  head_offset: offset,
  first_offset: offset,
  epoch: v.string(),
  // Hint: cluster mode, only while the stream's first sequence is beyond the last cut DELETE /events recorded.
  lost_without_purge: v.exactOptional(v.object({ from: offset, to: offset, kept: offset })),
});
type StatsLog = Omit<v.InferOutput<typeof StatsSchema>, 'router' | 'by_type'>;
export type StatsMatches = Assert<Exactly<StatsLog, Omit<LogStats, 'by_type'>>>;

/** GET /health. */
export const HealthSchema = v.object({
  status: v.literal('ok'),
  service: v.literal('event-pipeline'),
  version: v.string(),
  /** The commit the server runs (`git describe --always --dirty`), or null when it does not run from a git checkout. */
  build: v.nullable(v.string()),
  epoch: v.string(),
});

/** GET /readiness: ready (200), or why not (503). */
export const ReadinessSchema = v.union([
  v.object({
    ready: v.literal(true),
    database: v.literal('connected'),
    head_offset: offset,
    epoch: v.string(),
    router: RouterStatsSchema,
  }),
  v.object({
    ready: v.literal(false),
    database: v.picklist(['connected', 'disconnected']),
    reason: v.string(),
    router: RouterStatsSchema,
  }),
]);

/** GET /sessions/{session_id}, and each item of GET /sessions. */
export const SessionViewSchema = v.object({
  session_id: v.string(),
  status: v.picklist(SESSION_STATUSES),
  user_ids: v.array(v.string()),
  user_count: offset,
  event_count: offset,
  counts: v.record(v.picklist(EVENT_TYPES), offset),
  first_offset: v.nullable(offset),
  last_offset: v.nullable(offset),
  started_at: v.nullable(iso),
  completed_at: v.nullable(iso),
  quiz_id: nullableText,
});
export type SessionViewMatches = Assert<Exactly<v.InferOutput<typeof SessionViewSchema>, SessionView>>;

const subscriberMode = v.picklist(['awaiting_config', 'replaying', 'live', 'lagging']);

/** GET /subscribers (the dashboard branch's listing; its SubscriberListing interface is not on this branch yet). */
export const SubscriberListingSchema = v.object({
  head_offset: offset,
  total: offset,
  by_mode: v.object({ awaiting_config: offset, replaying: offset, live: offset, lagging: offset }),
  subscribers: v.array(
    v.object({
      id: v.string(),
      mode: subscriberMode,
      filter: v.object({
        event_types: v.exactOptional(v.array(v.picklist(EVENT_TYPES))),
        session_id: v.exactOptional(v.string()),
        user_id: v.exactOptional(v.string()),
        source: v.exactOptional(v.string()),
      }),
      next_offset: v.nullable(offset),
      last_delivered: v.nullable(offset),
      lag: v.nullable(offset),
      connected_at: iso,
      last_activity: iso,
    }),
  ),
});

/** GET /event-types: name → description. */
export const EventTypesSchema = v.record(v.picklist(EVENT_TYPES), v.string());

/** DELETE /events. */
export const DeletedSchema = v.object({ deleted: offset });

/** Every 4xx/5xx but 422: `{detail: "reason"}`. */
export const ErrorSchema = v.object({ detail: v.string() });

/**
 * One 422 entry: FastAPI's `{loc, msg, type}`; `type` is pydantic's for a rule the old models had (`missing`,
 * `string_type`, `dict_type`, `model_attributes_type`, `string_too_short`, `string_too_long`, `string_pattern_mismatch`,
 * `int_parsing`, `greater_than_equal`, `less_than_equal`, `value_error` from a validator, `json_invalid`), which then
 * carries pydantic's `input` and `ctx`; a rule of ours is `value_error` alone.
 */
const DetailEntrySchema = v.object({
  loc: v.array(v.union([v.string(), v.number()])),
  msg: v.string(),
  type: v.string(),
  input: v.exactOptional(v.unknown()),
  ctx: v.exactOptional(v.record(v.string(), v.unknown())),
});
export type DetailEntryMatches = Assert<Exactly<v.InferOutput<typeof DetailEntrySchema>, DetailEntry>>;

/** 422: FastAPI's list of entries, one per field at fault, each with pydantic's `type` where the old service had one. */
export const ValidationErrorSchema = v.object({ detail: v.array(DetailEntrySchema) });
